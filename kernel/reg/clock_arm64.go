package reg

import "github.com/yolkos/yolk/kernel/cpu"

var defaultClock = Counter{Count: cpu.Counter, Hz: cpu.CounterFreq}
