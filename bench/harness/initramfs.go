//go:build !tamago

package main

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// cpioEntry is one file of a cpio archive in the "newc" format, the one
// the Linux kernel unpacks as its initramfs.
type cpioEntry struct {
	name string
	mode uint32    // file type and permissions, as in stat(2)
	rdev [2]uint32 // major, minor of a device node
	data []byte
}

const (
	modeDir  = 0o040000
	modeFile = 0o100000
	modeChar = 0o020000
)

// writeInitramfs writes a gzip-compressed initramfs holding bin as /init,
// /dev/console (the kernel opens it for init's standard streams), the
// mount points /proc and /sys, and the extra entries (the network
// modules).
func writeInitramfs(w io.Writer, bin []byte, extra ...cpioEntry) error {
	z := gzip.NewWriter(w)
	err := writeCpio(z, append([]cpioEntry{
		{name: "dev", mode: modeDir | 0o755},
		{name: "dev/console", mode: modeChar | 0o600, rdev: [2]uint32{5, 1}},
		{name: "proc", mode: modeDir | 0o555},
		{name: "sys", mode: modeDir | 0o555},
		{name: "init", mode: modeFile | 0o755, data: bin},
	}, extra...))
	return errors.Join(err, z.Close())
}

// writeCpio writes the entries and the trailer. Owners are root, times 0.
func writeCpio(w io.Writer, entries []cpioEntry) error {
	entries = append(entries, cpioEntry{name: "TRAILER!!!"})
	for i, e := range entries {
		nlink := 1
		if e.mode&0o170000 == modeDir {
			nlink = 2
		}
		ino := i + 1
		if e.name == "TRAILER!!!" {
			ino, nlink = 0, 1
		}
		// magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
		// devminor, rdevmajor, rdevminor, namesize, check
		hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
			ino, e.mode, 0, 0, nlink, 0, len(e.data), 0, 0, e.rdev[0], e.rdev[1], len(e.name)+1, 0)
		rec := append([]byte(hdr), e.name...)
		rec = append(rec, 0)
		rec = pad4(rec)
		rec = append(rec, e.data...)
		if _, err := w.Write(pad4(rec)); err != nil {
			return err
		}
	}
	return nil
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
