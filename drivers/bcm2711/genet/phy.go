package genet

import (
	"fmt"
	"time"

	"github.com/yolkos/yolk/kernel/reg"
)

// Clause 22 PHY registers and bits (IEEE 802.3 22.2.4), which the
// BCM54213PE implements as every gigabit PHY does.
const (
	miiBMCR     = 0  // basic control
	miiBMSR     = 1  // basic status
	miiPHYID1   = 2  // OUI bits 3-18
	miiPHYID2   = 3  // OUI bits 19-24, model, revision
	miiANAR     = 4  // autonegotiation advertisement
	miiANLPAR   = 5  // link partner ability
	miiCtrl1000 = 9  // 1000BASE-T control
	miiStat1000 = 10 // 1000BASE-T status

	bmcrReset     = 1 << 15
	bmcrANEnable  = 1 << 12
	bmcrANRestart = 1 << 9
	bmsrLink      = 1 << 2 // latched low: read twice for the present state
	bmsrANDone    = 1 << 5

	anSelector802 = 1      // IEEE 802.3
	an10HD        = 1 << 5 // ANAR and ANLPAR
	an10FD        = 1 << 6
	an100HD       = 1 << 7
	an100FD       = 1 << 8
	anPause       = 1 << 10
	ctrl1000FD    = 1 << 9  // advertise 1000BASE-T full duplex
	stat1000LPFD  = 1 << 11 // the partner can do 1000BASE-T full duplex

	// BCM54213PE's identifier (PHYID1, PHYID2 without the revision).
	bcm54213pe = 0x600d_84a0
	phyIDMask  = 0xffff_fff0

	mdioTimeout = 10 * time.Millisecond
)

// Link is the state PollLink found.
type Link struct {
	Up         bool
	Mbps       int // 10, 100 or 1000
	FullDuplex bool
}

func (l Link) String() string {
	if !l.Up {
		return "down"
	}
	d := "full"
	if !l.FullDuplex {
		d = "half"
	}
	return fmt.Sprintf("up, %d Mb/s %s duplex", l.Mbps, d)
}

// MDIORead reads PHY register r of the PHY at address phy.
func (d *Device) MDIORead(phy, r int) (uint16, error) {
	d.mdioMu.Lock()
	defer d.mdioMu.Unlock()
	v, err := d.mdio(mdioRead | uint32(phy&0x1f)<<mdioPHYShift | uint32(r&0x1f)<<mdioRegShift)
	if err == nil && v&mdioReadFail != 0 {
		err = fmt.Errorf("%w: PHY %d register %d", ErrMDIORead, phy, r)
	}
	return uint16(v & mdioDataMask), err
}

// MDIOWrite writes v to PHY register r of the PHY at address phy.
func (d *Device) MDIOWrite(phy, r int, v uint16) error {
	d.mdioMu.Lock()
	defer d.mdioMu.Unlock()
	_, err := d.mdio(mdioWrite | uint32(phy&0x1f)<<mdioPHYShift | uint32(r&0x1f)<<mdioRegShift | uint32(v))
	return err
}

// mdio runs one transaction: the command, then START_BUSY, then a wait
// for the UniMAC to clear it.
func (d *Device) mdio(cmd uint32) (uint32, error) {
	d.r.Write(regMDIOCmd, cmd)
	d.r.Write(regMDIOCmd, cmd|mdioStartBusy)
	dl := reg.After(mdioTimeout)
	for {
		v := d.r.Read(regMDIOCmd)
		if v&mdioStartBusy == 0 {
			return v, nil
		}
		if dl.Passed() {
			return 0, fmt.Errorf("%w (command %#x)", ErrMDIOTimeout, cmd)
		}
	}
}

// PHYID is the PHY's identifier (PHYID1 << 16 | PHYID2).
func (d *Device) PHYID() (uint32, error) {
	hi, err := d.MDIORead(d.cfg.PHY, miiPHYID1)
	if err != nil {
		return 0, err
	}
	lo, err := d.MDIORead(d.cfg.PHY, miiPHYID2)
	return uint32(hi)<<16 | uint32(lo), err
}

// startPHY finds the PHY, resets it and starts autonegotiation,
// advertising 10, 100 and 1000 Mb/s full duplex (1000 half duplex is not
// possible over RGMII) and 10/100 half duplex. The PHY's own RGMII clock
// delays (vendor shadow registers) are left as the board straps them, as
// U-Boot's generic PHY code leaves them on the Pi 4; the MAC adds the
// transmit delay unless phy-mode is plain "rgmii" (New).
func (d *Device) startPHY() error {
	id, err := d.PHYID()
	if err != nil {
		return fmt.Errorf("genet: PHY at MDIO address %d: %w", d.cfg.PHY, err)
	}
	if id == 0 || id == 0xffff_ffff {
		return fmt.Errorf("genet: no PHY at MDIO address %d (identifier %#x)", d.cfg.PHY, id)
	}
	p := d.cfg.PHY
	if err := d.MDIOWrite(p, miiBMCR, bmcrReset); err != nil {
		return err
	}
	// 802.3 22.2.4.1.1: the PHY clears the bit when its reset is done,
	// within 0.5 s. One that does not (some emulated PHYs) is told to
	// autonegotiate all the same, and Warnings says so.
	for i := 0; ; i++ {
		v, err := d.MDIORead(p, miiBMCR)
		if err != nil {
			return err
		}
		if v&bmcrReset == 0 {
			break
		}
		if i == 50 {
			d.warn(fmt.Sprintf("PHY %#x at MDIO address %d did not finish its reset within 0.5 s", id, p))
			break
		}
		d.cfg.Delay(10 * time.Millisecond)
	}
	if err := d.MDIOWrite(p, miiANAR, anSelector802|an10HD|an10FD|an100HD|an100FD|anPause); err != nil {
		return err
	}
	if err := d.MDIOWrite(p, miiCtrl1000, ctrl1000FD); err != nil {
		return err
	}
	return d.MDIOWrite(p, miiBMCR, bmcrANEnable|bmcrANRestart)
}

// IsBCM54213PE reports whether id is the Pi 4's PHY.
func IsBCM54213PE(id uint32) bool { return id&phyIDMask == bcm54213pe }

// PollLink reads the PHY's link state, and when it changed, programs the
// MAC for the negotiated speed and duplex (UMAC_CMD, and the RGMII
// block's link bit). It reports the state and whether it changed.
// Owners call it periodically (the PHY's interrupt is not wired to the
// ARM).
func (d *Device) PollLink() (Link, bool, error) {
	old := *d.link.Load()
	l, err := d.readLink()
	if err != nil {
		return old, false, err
	}
	if l == old {
		return l, false, nil
	}
	d.program(l)
	d.link.Store(&l)
	d.linkChanged.Store(true)
	d.Stats.LinkChanges.Add(1)
	return l, true, nil
}

// LinkUp reports whether the last PollLink found the link up.
func (d *Device) LinkUp() bool { return d.link.Load().Up }

// LinkChanged reports whether PollLink found a change since the last
// call.
func (d *Device) LinkChanged() bool { return d.linkChanged.Swap(false) }

// program sets the MAC for link l: speed and duplex in UMAC_CMD, and the
// RGMII block's link bit.
func (d *Device) program(l Link) {
	r := d.r
	oob := r.Read(regRGMIIOOBCtrl)
	cmd := r.Read(regUMACCmd)
	if l.Up {
		speed := uint32(0)
		switch l.Mbps {
		case 100:
			speed = 1
		case 1000:
			speed = 2
		}
		cmd = cmd&^(cmdSpeedMask|cmdHalfDuplex) | speed<<cmdSpeedShift
		if !l.FullDuplex {
			cmd |= cmdHalfDuplex
		}
		oob = oob&^oobDisable | oobRGMIILink | oobRGMIIMode
	} else {
		oob &^= oobRGMIILink
	}
	r.Write(regRGMIIOOBCtrl, oob)
	r.Write(regUMACCmd, cmd)
}

// LinkState is the state the last PollLink found.
func (d *Device) LinkState() Link { return *d.link.Load() }

// readLink asks the PHY: link status (BMSR, read twice: the bit latches
// low), then the best mode both ends advertise (802.3 Annex 28B.3
// priority: 1000 full, 100 full, 100 half, 10 full, 10 half).
func (d *Device) readLink() (Link, error) {
	p := d.cfg.PHY
	if _, err := d.MDIORead(p, miiBMSR); err != nil {
		return Link{}, err
	}
	bmsr, err := d.MDIORead(p, miiBMSR)
	if err != nil {
		return Link{}, err
	}
	if bmsr&bmsrLink == 0 || bmsr&bmsrANDone == 0 {
		return Link{}, nil
	}
	var regs [4]uint16
	for i, r := range []int{miiCtrl1000, miiStat1000, miiANAR, miiANLPAR} {
		if regs[i], err = d.MDIORead(p, r); err != nil {
			return Link{}, err
		}
	}
	ctrl, stat, common := regs[0], regs[1], regs[2]&regs[3]
	switch {
	case ctrl&ctrl1000FD != 0 && stat&stat1000LPFD != 0:
		return Link{Up: true, Mbps: 1000, FullDuplex: true}, nil
	case common&an100FD != 0:
		return Link{Up: true, Mbps: 100, FullDuplex: true}, nil
	case common&an100HD != 0:
		return Link{Up: true, Mbps: 100}, nil
	case common&an10FD != 0:
		return Link{Up: true, Mbps: 10, FullDuplex: true}, nil
	case common&an10HD != 0:
		return Link{Up: true, Mbps: 10}, nil
	}
	// Autonegotiation finished without a common mode.
	return Link{}, nil
}
