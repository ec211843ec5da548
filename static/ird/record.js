// The live IRD record (templates/ird/record.html, print.html). A static file: the
// Content-Security-Policy forbids inline scripts and hx-on attributes.
//
// Autosave itself is declared in the markup (hx-post with hx-trigger "input changed delay:3s,
// blur"). htmx does not swap error answers by default; these carry a message for the recorder:
// 409 when someone else saved the section first (their text comes back, nothing was
// overwritten) or the record was signed off, 400 when the save was refused.
document.addEventListener('htmx:beforeSwap', (event) => {
  const status = event.detail.xhr.status
  const target = event.detail.target
  if ((status === 409 || status === 400) && target && target.classList.contains('ird-status')) {
    event.detail.shouldSwap = true
    event.detail.isError = false
  }
})

// "Use their text" after a conflict: put the other person's saved text in the box, and base the
// next save on their version.
document.addEventListener('click', (event) => {
  const useTheirs = event.target.closest('[data-ird-use-theirs]')
  if (useTheirs) {
    const key = useTheirs.getAttribute('data-ird-use-theirs')
    const theirs = document.getElementById(`theirs-${key}`)
    const box = document.getElementById(`text-${key}`)
    const version = document.getElementById(`version-${key}`)
    if (theirs && box && version) {
      box.value = theirs.textContent
      version.value = useTheirs.getAttribute('data-version')
      const status = document.getElementById(`status-${key}`)
      if (status) {
        status.className = 'govuk-body-s ird-status'
        status.setAttribute('role', 'status')
        status.textContent = 'Their text is in the box: carry on from there.'
      }
      box.focus()
    }
    return
  }
  if (event.target.closest('[data-ird-print]')) {
    window.print()
  }
})
