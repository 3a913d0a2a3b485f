//go:build linux

package main

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// An interrupt source for the wakeup row on Linux: a pipe that a thread
// of its own writes to, read by a goroutine (through the runtime's
// network poller, as a device's file descriptor would be).
type wakeSource struct {
	r   *os.File
	ask chan chan time.Time
}

func newWakeSource() (*wakeSource, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s := &wakeSource{r: r, ask: make(chan chan time.Time)}
	fd := int(w.Fd())
	// The writer is a locked OS thread: asked, it notes the time and
	// writes a byte.
	go func() {
		runtime.LockOSThread()
		for reply := range s.ask {
			t := time.Now()
			syscall.Write(fd, []byte{1})
			reply <- t
		}
	}()
	return s, nil
}

// raise has the writer thread write, and returns when it did.
func (s *wakeSource) raise() time.Time {
	reply := make(chan time.Time, 1)
	s.ask <- reply
	return <-reply
}

// wait blocks until the pipe has a byte, and reads it.
func (s *wakeSource) wait() {
	var b [1]byte
	s.r.Read(b[:])
}
