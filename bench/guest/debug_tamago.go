//go:build benchnet && tamago

package main

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/yolkos/yolk/board/qemu-virt/network"
	"github.com/yolkos/yolk/sched/cpuprof"
)

// serveProfile serves a CPU profile of ?seconds=N (default 10), in the
// format of net/http/pprof's /debug/pprof/profile.
func serveProfile(w http.ResponseWriter, r *http.Request) {
	secs, err := strconv.Atoi(r.URL.Query().Get("seconds"))
	if err != nil || secs <= 0 {
		secs = 10
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if err := cpuprof.Collect(w, time.Duration(secs)*time.Second, 0); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// serveNetInfo reports the network device's counters.
func serveNetInfo(w http.ResponseWriter, r *http.Request) {
	d := network.Device
	if d == nil {
		http.Error(w, "no network device", http.StatusNotFound)
		return
	}
	s := &d.Stats
	fmt.Fprintf(w, "rx frames=%d bytes=%d drops=%d errors=%d\ntx frames=%d bytes=%d drops=%d errors=%d\ninterrupts=%d\n",
		s.RxFrames.Load(), s.RxBytes.Load(), s.RxDrops.Load(), s.RxErrors.Load(),
		s.TxFrames.Load(), s.TxBytes.Load(), s.TxDrops.Load(), s.TxErrors.Load(), s.Interrupts.Load())
}
