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

// The live record: the server pushes the record each time someone saves (server-sent events,
// ird/live.py). Watchers get the read-only record redrawn; an editor's boxes follow other
// people's saves unless they have typed something of their own, which is never overwritten
// (their next save is refused with both texts shown, as for any conflict).
const liveRecord = document.querySelector('[data-ird-events]')
if (liveRecord && 'EventSource' in window) {
  const source = new EventSource(liveRecord.getAttribute('data-ird-events'))
  source.addEventListener('record', (event) => {
    const record = JSON.parse(event.data)
    const body = document.getElementById('ird-live-body')
    if (body) {
      body.innerHTML = record.body // rendered and escaped by the server's templates
    }
    const status = document.querySelector('.ird-live__status')
    if (status) {
      status.textContent = `${record.status_label}.`
    }
    for (const [key, section] of Object.entries(record.sections)) {
      followSection(key, section)
    }
    liveRecord.setAttribute('data-ird-version', record.version)
  })
  source.addEventListener('end', () => source.close())
}

function followSection (key, section) {
  const box = document.getElementById(`text-${key}`)
  const version = document.getElementById(`version-${key}`)
  if (!box || !version || section.version <= Number(version.value)) {
    return
  }
  const saved = box.dataset.saved ?? box.defaultValue
  if (box.value === saved) {
    box.value = section.text
    box.dataset.saved = section.text
    version.value = section.version
    return
  }
  const status = document.getElementById(`status-${key}`)
  if (status) {
    status.className = 'govuk-body-s ird-status'
    status.setAttribute('role', 'status')
    status.textContent = `${section.by} saved a newer version at ${section.at}. Your next save shows both texts.`
  }
}

// What a box last saved, so that the live record knows whether its writer has typed since.
document.addEventListener('htmx:afterRequest', (event) => {
  const box = event.detail.elt
  if (box && box.classList && box.classList.contains('ird-textarea') && event.detail.successful) {
    box.dataset.saved = box.value
  }
})
