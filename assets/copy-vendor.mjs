// Copies the run-time files out of node_modules into ../static/vendor/.
// Run with `npm run build` (which compiles the stylesheet first).
// Source map comments are stripped: the maps are not shipped, and Django's
// ManifestStaticFilesStorage fails collectstatic on a missing referenced map.
import { mkdirSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const modules = join(here, 'node_modules')
const vendor = join(here, '..', 'static', 'vendor')

const stripSourceMap = (text) =>
  text.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n').replace(/\/\*# sourceMappingURL=\S+ \*\/\s*$/, '\n')

function copyText (from, to) {
  mkdirSync(dirname(to), { recursive: true })
  writeFileSync(to, stripSourceMap(readFileSync(from, 'utf8')))
  console.log(`wrote ${to}`)
}

function copy (from, to) {
  mkdirSync(dirname(to), { recursive: true })
  copyFileSync(from, to)
  console.log(`wrote ${to}`)
}

const govuk = join(modules, 'govuk-frontend', 'package.json')
const govukVersion = JSON.parse(readFileSync(govuk, 'utf8')).version
const htmxVersion = JSON.parse(readFileSync(join(modules, 'htmx.org', 'package.json'), 'utf8')).version

// GOV.UK Frontend: the ES module build (exports initAll, createAll, ...).
copyText(
  join(modules, 'govuk-frontend', 'dist', 'govuk', 'govuk-frontend.min.js'),
  join(vendor, 'govuk-frontend', 'govuk-frontend.min.js')
)

// Images: none of GOV.UK's (crown favicons, crest, opengraph image) are
// shipped. A neutral project favicon stands in for them.
rmSync(join(vendor, 'govuk-frontend', 'assets'), { recursive: true, force: true })
copy(join(here, 'src', 'favicon.svg'), join(vendor, 'govuk-frontend', 'assets', 'images', 'favicon.svg'))

writeFileSync(
  join(vendor, 'govuk-frontend', 'LICENSE.txt'),
  `GOV.UK Frontend ${govukVersion} (npm package "govuk-frontend")\n` +
  'Released under the MIT License. Copyright (c) Crown Copyright (Government Digital Service).\n' +
  'govuk-frontend.min.css here is compiled from its Sass by assets/ with the GDS Transport\n' +
  'typeface and GOV.UK images left out; govuk-frontend.min.js is copied unchanged\n' +
  '(source map comment removed). assets/images/favicon.svg is this project\'s own.\n'
)
console.log(`wrote ${join(vendor, 'govuk-frontend', 'LICENSE.txt')}`)

// htmx 2.0.x
copyText(join(modules, 'htmx.org', 'dist', 'htmx.min.js'), join(vendor, 'htmx', 'htmx.min.js'))
writeFileSync(
  join(vendor, 'htmx', 'LICENSE.txt'),
  `htmx ${htmxVersion} (npm package "htmx.org")\n\n` + readFileSync(join(modules, 'htmx.org', 'LICENSE'), 'utf8')
)
console.log(`wrote ${join(vendor, 'htmx', 'LICENSE.txt')}`)
