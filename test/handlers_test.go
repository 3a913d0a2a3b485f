//go:build !tamago

package test

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The exception entry saves only general-purpose registers, so code on the
// IRQ path must not touch FP/SIMD registers: it would corrupt the
// interrupted goroutine's (memmove keeps data in them). sched's M switch
// also relies on it to save an M's FP state from the handler.
func TestHandlersUseNoFP(t *testing.T) {
	out, err := exec.Command("go", "tool", "objdump", guest).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	// Functions that run on the IRQ path (kernel/exception's handle and
	// Frame.PushCall, the GIC dispatcher and its handlers, the scheduler's
	// tick).
	onPath := regexp.MustCompile(`^TEXT (github\.com/yolkos/yolk/(kernel/gic\.|kernel/timer\.|kernel/cpu\.|sched\.|kernel/exception\.(handle|IRQFrame|InterruptedG|\(\*Frame\)\.PushCall)))`)
	fpInsn := regexp.MustCompile(`\t(F[A-Z0-9]+|V[A-Z0-9.]+)\t|[\s,(\[]([FV][0-9]{1,2})[\s,.)\]]`)
	allowed := map[string]bool{"sched.saveFP.abi0": true, "sched.restoreFP.abi0": true}
	var fn string
	checked := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "TEXT ") {
			fn = ""
			if m := onPath.FindStringSubmatch(line); m != nil {
				fn = strings.TrimSuffix(strings.Fields(line)[1], "(SB)")
				checked++
			}
			continue
		}
		if fn == "" {
			continue
		}
		name := fn[strings.LastIndex(fn, "/")+1:]
		if allowed[name] || strings.Contains(name, "Counts") {
			continue // saveFP/restoreFP do it on purpose; Counts runs on goroutines
		}
		if fpInsn.MatchString(line) {
			t.Errorf("%s uses FP/SIMD registers: %s", fn, strings.TrimSpace(line))
		}
	}
	if checked < 20 {
		t.Fatalf("only %d functions checked: the guest lacks the IRQ path?", checked)
	}
	t.Logf("%d functions on the IRQ path checked", checked)
}
