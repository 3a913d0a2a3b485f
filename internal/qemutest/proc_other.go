//go:build !tamago && !linux

package qemutest

import "os/exec"

func setProcAttr(cmd *exec.Cmd) {}
