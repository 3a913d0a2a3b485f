//go:build !tamago && !linux

package main

import (
	"errors"
	"time"
)

type wakeSource struct{}

func newWakeSource() (*wakeSource, error) {
	return nil, errors.New("no interrupt source on this system")
}
func (*wakeSource) raise() time.Time { return time.Time{} }
func (*wakeSource) wait()            {}
