//go:build benchnet && !linux && !tamago

package main

import (
	"net/http"
	"net/http/pprof"
)

func serveProfile(w http.ResponseWriter, r *http.Request) { pprof.Profile(w, r) }

func serveNetInfo(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not on this system", http.StatusNotImplemented)
}
