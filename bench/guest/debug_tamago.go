//go:build benchnet && tamago

package main

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/yolkos/yolk/board/qemu-virt/network"
	virtionet "github.com/yolkos/yolk/drivers/virtio/net"
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

// serveNetInfo reports the interface's counters (device, link layer,
// stack) and the virtio features negotiated.
func serveNetInfo(w http.ResponseWriter, r *http.Request) {
	d, st := network.Device, network.Stack
	if d == nil || st == nil {
		http.Error(w, "no network device", http.StatusNotFound)
		return
	}
	fmt.Fprintf(w, "features %v\n", virtionet.FeatureNames(d.Features()))
	for _, c := range st.Counters() {
		if c.Value != 0 {
			fmt.Fprintf(w, "%s %d\n", c.Name, c.Value)
		}
	}
}
