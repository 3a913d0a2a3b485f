package timer

// Defined in deadline_arm64.s. The writes end with an ISB, so the new
// setting is in effect (and an interrupt it causes can be taken) by the
// time they return.

func getCTL() uint64
func setCTL(v uint64)
func getCVAL() uint64
func setCVAL(v uint64)
