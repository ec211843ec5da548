"""Progress of a long command (seed_demo, verify_audit): a bar redrawn in place on a terminal,
and a plain line at every tenth of the way otherwise (a log or CI output keeps no redraws)."""

import sys

WIDTH = 30


class Progress:
    def __init__(self, stream, label: str, total: int):
        self.stream, self.label, self.total = stream, label, max(total, 0)
        self.done = 0
        self._shown_tenth = 0
        self.terminal = bool(getattr(stream, "isatty", lambda: False)())
        # A command's self.stdout (Django's OutputWrapper) ends each write with a newline
        # unless told otherwise.
        self._write = (
            (lambda text: stream.write(text, ending=""))
            if hasattr(stream, "ending")
            else stream.write
        )

    def advance(self, count: int = 1) -> None:
        self.done = min(self.done + count, self.total) if self.total else self.done + count
        if self.terminal:
            self._draw(end="")
        elif self.total:
            tenth = self.done * 10 // self.total
            if tenth > self._shown_tenth:
                self._shown_tenth = tenth
                self._line()

    def finish(self) -> None:
        if self.terminal:
            self._draw(end="\n")
        elif self._shown_tenth < 10:
            self._line()

    def _line(self) -> None:
        self._write(f"{self.label}: {self.done:,} of {self.total:,}\n")
        self.stream.flush()

    def _draw(self, end: str) -> None:
        filled = WIDTH * self.done // self.total if self.total else WIDTH
        bar = "#" * filled + "-" * (WIDTH - filled)
        self._write(f"\r{self.label} [{bar}] {self.done:,}/{self.total:,}{end}")
        self.stream.flush()


def progress(label: str, total: int, stream=None) -> Progress:
    return Progress(stream or sys.stdout, label, total)
