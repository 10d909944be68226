// Package ui holds the embedded web UI. Its sources are in src/ (TypeScript); `make` builds them into
// dist/ with esbuild, and the binary embeds dist/. `go build` alone fails on a tree where the UI was
// never built: run `make build` (it needs Node.js and npm).
package ui

import "embed"

// Dist is the built UI: index.html, app.js and style.css.
//
//go:embed dist
var Dist embed.FS
