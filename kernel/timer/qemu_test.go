//go:build tamago

package timer_test

import (
	"runtime"
	"sync"
	"testing"

	_ "github.com/yolkos/yolk/board/qemu-virt"
	"github.com/yolkos/yolk/kernel/timer"
)

// TestRecentFollowsReadings reads the clock on every core at once and
// checks that Recent never goes back, is never later than a Nanotime
// read after it, and catches up with every reading.
func TestRecentFollowsReadings(t *testing.T) {
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev := timer.Recent()
			for range 20000 {
				r := timer.Recent()
				if r < prev {
					t.Errorf("Recent went back from %d to %d", prev, r)
					return
				}
				prev = r
				n := timer.Nanotime()
				if r := timer.Recent(); r < n {
					t.Errorf("Recent %d is older than the Nanotime %d just read", r, n)
					return
				}
				if r, n := timer.Recent(), timer.Nanotime(); r > n {
					t.Errorf("Recent %d is later than the Nanotime %d read after it", r, n)
					return
				}
			}
		}()
	}
	wg.Wait()
}
