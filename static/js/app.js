// Project JavaScript. Loaded at the end of <body> by templates/base.html as
//   <script type="module" src="{% static 'js/app.js' %}"></script>
// so it runs after the document is parsed, only in browsers that support ES
// modules (the same set GOV.UK Frontend 5 supports), and with no inline
// script anywhere (the Content-Security-Policy forbids inline scripts).
//
// The import is relative so it works whatever STATIC_URL is.
import { initAll } from '../vendor/govuk-frontend/govuk-frontend.min.js'

// What the GOV.UK page template's inline <script> snippet normally does.
document.body.classList.add('js-enabled')
if ('noModule' in HTMLScriptElement.prototype) {
  document.body.classList.add('govuk-frontend-supported')
}

initAll()

// Content swapped in by htmx may contain GOV.UK components (data-module="…").
// htmx fires htmx:load on each newly added element (and once on <body> at
// start-up, which initAll above already covered). createAll only looks at
// descendants of the scope, so start from the parent; components that were
// already set up there raise InitError, which is expected and ignored.
document.addEventListener('htmx:load', (event) => {
  const element = event.detail && event.detail.elt
  if (!(element instanceof Element) || element === document.body) {
    return
  }
  initAll({
    scope: element.parentElement || element,
    onError (error) {
      if (!error || error.name !== 'InitError') {
        console.log(error)
      }
    }
  })
})
