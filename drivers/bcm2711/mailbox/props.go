package mailbox

import "fmt"

// The property calls yolk uses, one tag each. They allocate nothing but
// their error values' formatting on failure.

// call1 sends tag id with req and returns the first answer word.
func (m *Mailbox) call1(id uint32, req ...uint32) (uint32, error) {
	var r [2]uint32
	if _, err := m.Call(id, req, r[:]); err != nil {
		return 0, err
	}
	return r[0], nil
}

// FirmwareRevision is the firmware's build time (Unix seconds).
func (m *Mailbox) FirmwareRevision() (uint32, error) { return m.call1(TagFirmwareRevision) }

// BoardModel is the firmware's board model number (0 on current boards).
func (m *Mailbox) BoardModel() (uint32, error) { return m.call1(TagBoardModel) }

// BoardRevision is the board revision code.
func (m *Mailbox) BoardRevision() (Revision, error) {
	v, err := m.call1(TagBoardRevision)
	return Revision(v), err
}

// BoardSerial is the board's 64-bit serial number.
func (m *Mailbox) BoardSerial() (uint64, error) {
	var r [2]uint32
	if _, err := m.Call(TagBoardSerial, nil, r[:]); err != nil {
		return 0, err
	}
	return uint64(r[1])<<32 | uint64(r[0]), nil
}

// BoardMAC is the Ethernet MAC address.
func (m *Mailbox) BoardMAC() ([6]byte, error) {
	var r [2]uint32
	var mac [6]byte
	if _, err := m.Call(TagBoardMAC, nil, r[:]); err != nil {
		return mac, err
	}
	for i := 0; i < 6; i++ {
		mac[i] = byte(r[i/4] >> (8 * (i % 4)))
	}
	return mac, nil
}

// Memory is a base and size in bytes.
type Memory struct{ Base, Size uint32 }

func (m Memory) String() string {
	return fmt.Sprintf("%d MiB at %#x", m.Size>>20, m.Base)
}

func (m *Mailbox) memory(tag uint32) (Memory, error) {
	var r [2]uint32
	if _, err := m.Call(tag, nil, r[:]); err != nil {
		return Memory{}, err
	}
	return Memory{r[0], r[1]}, nil
}

// ARMMemory is the ARM's share of the memory split (the first GiB only).
func (m *Mailbox) ARMMemory() (Memory, error) { return m.memory(TagARMMemory) }

// VCMemory is the VideoCore's share of the memory split.
func (m *Mailbox) VCMemory() (Memory, error) { return m.memory(TagVCMemory) }

// ClockRate is the current rate of clock id in Hz.
func (m *Mailbox) ClockRate(id uint32) (uint32, error) {
	var r [2]uint32
	if _, err := m.Call(TagClockRate, []uint32{id, 0}, r[:]); err != nil {
		return 0, err
	}
	if r[0] != id {
		return 0, ErrBadReply
	}
	return r[1], nil
}

// MaxClockRate is the highest rate of clock id in Hz.
func (m *Mailbox) MaxClockRate(id uint32) (uint32, error) {
	var r [2]uint32
	if _, err := m.Call(TagMaxClockRate, []uint32{id, 0}, r[:]); err != nil {
		return 0, err
	}
	if r[0] != id {
		return 0, ErrBadReply
	}
	return r[1], nil
}

// Temperature is the SoC temperature in thousandths of a degree Celsius.
func (m *Mailbox) Temperature() (uint32, error) {
	var r [2]uint32
	if _, err := m.Call(TagTemperature, []uint32{0, 0}, r[:]); err != nil {
		return 0, err
	}
	return r[1], nil
}

// MaxTemperature is the temperature (thousandths of a degree Celsius) at
// which the firmware throttles.
func (m *Mailbox) MaxTemperature() (uint32, error) {
	var r [2]uint32
	if _, err := m.Call(TagMaxTemperature, []uint32{0, 0}, r[:]); err != nil {
		return 0, err
	}
	return r[1], nil
}
