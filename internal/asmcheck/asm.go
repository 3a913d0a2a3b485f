package asmcheck

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNotSystem is returned (wrapped) by Assemble for mnemonics outside the
// System-instruction subset it encodes.
var ErrNotSystem = errors.New("not in the system-instruction subset")

// Assemble encodes one instruction of the subset yolk hand-encodes with
// WORD: exception generation (svc, hvc, smc, brk, hlt, dcps1-3, udf),
// hints (nop, wfi, wfe, sev, sevl, yield, esb, csdb, bti, hint #n, ...),
// barriers (dsb, dmb, isb, sb, clrex, ssbb, pssbb), MSR (immediate) to
// PSTATE fields, MRS/MSR (register), SYS/SYSL and their IC, DC, AT and
// TLBI aliases, ERET and DRPS. Operands are written as in GNU syntax
// ("mrs x0, sctlr_el1"); the Go operand order ("MRS SCTLR_EL1, R0",
// "MSR R0, SCTLR_EL1", "MSR $2, DAIFSet") is accepted too. System registers
// are named from the table (see SysRegs) or generically (s3_0_c1_c0_0).
// Immediates take "#" or "$" and decimal or 0x-hex values.
//
// Encodings follow ARM DDI 0487 C4.1 (A64 encoding index, "Branches,
// Exception Generating and System instructions") and the instruction pages
// of C6.2.
func Assemble(text string) (uint32, error) {
	mn, ops := splitInstr(normalize(text))
	if mn == "" {
		return 0, errors.New("empty instruction")
	}
	switch mn {
	case "svc", "hvc", "smc", "brk", "hlt", "udf", "dcps1", "dcps2", "dcps3":
		return asmException(mn, ops)
	case "hint":
		if len(ops) != 1 {
			return 0, errors.New("hint takes one immediate")
		}
		imm, err := parseImm(ops[0], 127)
		if err != nil {
			return 0, err
		}
		return hintBase | uint32(imm)<<5, nil
	case "bti":
		return asmBTI(ops)
	case "dsb", "dmb", "isb", "sb", "clrex", "ssbb", "pssbb":
		return asmBarrier(mn, ops)
	case "mrs":
		return asmMRS(ops)
	case "msr":
		return asmMSR(ops)
	case "sys", "sysl":
		return asmSys(mn == "sysl", ops)
	case "ic", "dc", "at", "tlbi":
		return asmSysAlias(mn, ops)
	}
	if h, ok := hintByName[strings.Join(append([]string{mn}, ops...), " ")]; ok {
		return hintBase | h<<5, nil
	}
	if w, ok := fixedByName[mn]; ok {
		if len(ops) != 0 {
			return 0, fmt.Errorf("%s takes no operands", mn)
		}
		return w, nil
	}
	return 0, fmt.Errorf("%q: %w", mn, ErrNotSystem)
}

// C6.2 HINT: 1101 0101 0000 0011 0010 CRm op2 11111; the alias mnemonics
// are the CRm:op2 values below.
const hintBase = 0xd503201f

var hintByName = map[string]uint32{
	"nop": 0, "yield": 1, "wfe": 2, "wfi": 3, "sev": 4, "sevl": 5,
	"dgh": 6, "xpaclri": 7, "esb": 16, "psb csync": 17, "tsb csync": 18,
	"csdb": 20, "paciaz": 24, "paciasp": 25, "pacibz": 26, "pacibsp": 27,
	"autiaz": 28, "autiasp": 29, "autibz": 30, "autibsp": 31,
}

// Instructions without operands and a single encoding (C6.2 ERET, ERETAA,
// ERETAB, DRPS).
var fixedByName = map[string]uint32{
	"eret":   0xd69f03e0,
	"eretaa": 0xd69f0bff,
	"eretab": 0xd69f0fff,
	"drps":   0xd6bf03e0,
}

// asmException encodes "Exception generation":
// 1101 0100 opc imm16 op2 LL (C4.1), and UDF (0000 0000 0000 0000 imm16).
func asmException(mn string, ops []string) (uint32, error) {
	var imm uint64
	switch {
	case len(ops) == 1:
		var err error
		if imm, err = parseImm(ops[0], 0xffff); err != nil {
			return 0, err
		}
	case len(ops) == 0 && strings.HasPrefix(mn, "dcps"):
		// DCPS<n> {#imm} defaults to 0.
	default:
		return 0, fmt.Errorf("%s takes one immediate", mn)
	}
	var opc, ll uint32
	switch mn {
	case "svc":
		opc, ll = 0, 1
	case "hvc":
		opc, ll = 0, 2
	case "smc":
		opc, ll = 0, 3
	case "brk":
		opc, ll = 1, 0
	case "hlt":
		opc, ll = 2, 0
	case "dcps1", "dcps2", "dcps3":
		opc, ll = 5, uint32(mn[4]-'0')
	case "udf":
		return uint32(imm), nil
	}
	return 0xd4000000 | opc<<21 | uint32(imm)<<5 | ll, nil
}

func asmBTI(ops []string) (uint32, error) {
	if len(ops) == 0 {
		return hintBase | 32<<5, nil
	}
	if len(ops) == 1 {
		switch ops[0] {
		case "c":
			return hintBase | 34<<5, nil
		case "j":
			return hintBase | 36<<5, nil
		case "jc":
			return hintBase | 38<<5, nil
		}
	}
	return 0, fmt.Errorf("bti target %q", strings.Join(ops, ","))
}

// Barriers: 1101 0101 0000 0011 0011 CRm op2 11111 (C4.1 "Barriers").
const barrierBase = 0xd503301f

// barrierOptions maps the DSB/DMB <option> names to CRm (C6.2 DMB).
var barrierOptions = map[string]uint32{
	"oshld": 1, "oshst": 2, "osh": 3, "nshld": 5, "nshst": 6, "nsh": 7,
	"ishld": 9, "ishst": 10, "ish": 11, "ld": 13, "st": 14, "sy": 15,
}

func asmBarrier(mn string, ops []string) (uint32, error) {
	var op2, crm uint32
	switch mn {
	case "ssbb", "pssbb", "sb":
		if len(ops) != 0 {
			return 0, fmt.Errorf("%s takes no operands", mn)
		}
		switch mn {
		case "ssbb": // DSB with CRm=0
			return barrierBase | 4<<5, nil
		case "pssbb": // DSB with CRm=4
			return barrierBase | 4<<8 | 4<<5, nil
		}
		return barrierBase | 7<<5, nil
	case "clrex":
		op2, crm = 2, 15
	case "dsb":
		op2 = 4
	case "dmb":
		op2 = 5
	case "isb":
		op2, crm = 6, 15
	}
	switch {
	case len(ops) == 0 && (mn == "isb" || mn == "clrex"):
	case len(ops) == 1:
		if v, ok := barrierOptions[ops[0]]; ok && mn != "clrex" && (mn != "isb" || v == 15) {
			crm = v
			break
		}
		v, err := parseImm(ops[0], 15)
		if err != nil {
			return 0, fmt.Errorf("%s option %q", mn, ops[0])
		}
		crm = uint32(v)
	default:
		return 0, fmt.Errorf("%s: wrong operand count", mn)
	}
	return barrierBase | crm<<8 | op2<<5, nil
}

// PSTATE fields of MSR (immediate) (C6.2 MSR (immediate)): op1, op2 and the
// largest immediate.
var pstateFields = map[string]struct {
	op1, op2 uint32
	max      uint64
}{
	"spsel":   {0, 5, 1},
	"daifset": {3, 6, 15},
	"daifclr": {3, 7, 15},
	"uao":     {0, 3, 1},
	"pan":     {0, 4, 1},
	"dit":     {3, 2, 1},
	"ssbs":    {3, 1, 1},
	"tco":     {3, 4, 1},
}

func asmMRS(ops []string) (uint32, error) {
	if len(ops) != 2 {
		return 0, errors.New("mrs takes a register and a system register")
	}
	rt, reg := ops[0], ops[1]
	if _, err := parseXReg(rt); err != nil {
		rt, reg = ops[1], ops[0] // Go order: MRS SCTLR_EL1, R0
	}
	t, err := parseXReg(rt)
	if err != nil {
		return 0, err
	}
	r, err := parseSysReg(reg)
	if err != nil {
		return 0, err
	}
	return r.MRS(t), nil
}

func asmMSR(ops []string) (uint32, error) {
	if len(ops) != 2 {
		return 0, errors.New("msr takes two operands")
	}
	// MSR (immediate): "msr daifset, #2", Go "MSR $2, DAIFSet".
	for _, o := range [][2]string{{ops[0], ops[1]}, {ops[1], ops[0]}} {
		f, ok := pstateFields[o[0]]
		if !ok || !isImm(o[1]) {
			continue
		}
		imm, err := parseImm(o[1], f.max)
		if err != nil {
			return 0, err
		}
		return 0xd500401f | f.op1<<16 | uint32(imm)<<8 | f.op2<<5, nil
	}
	reg, rt := ops[0], ops[1]
	if _, err := parseXReg(rt); err != nil {
		reg, rt = ops[1], ops[0] // Go order: MSR R0, SCTLR_EL1
	}
	t, err := parseXReg(rt)
	if err != nil {
		return 0, err
	}
	r, err := parseSysReg(reg)
	if err != nil {
		return 0, err
	}
	return r.MSR(t), nil
}

func parseSysReg(s string) (SysReg, error) {
	r, ok := LookupSysReg(s)
	if !ok {
		return SysReg{}, fmt.Errorf("unknown system register %q (add it to the asmcheck table or write it as s<op0>_<op1>_c<n>_c<m>_<op2>)", s)
	}
	if r.Op0 < 2 {
		return SysReg{}, fmt.Errorf("%s: op0 must be 2 or 3 for MRS/MSR", s)
	}
	return r, nil
}

// sysEncoding is SYS/SYSL: 1101 0101 00 L 01 op1 CRn CRm op2 Rt
// (C6.2 SYS, SYSL).
func sysEncoding(l bool, op1, crn, crm, op2, rt uint32) uint32 {
	w := 0xd5080000 | op1<<16 | crn<<12 | crm<<8 | op2<<5 | rt
	if l {
		w |= 1 << 21
	}
	return w
}

func asmSys(l bool, ops []string) (uint32, error) {
	rt := uint8(31)
	var err error
	if l {
		if len(ops) != 5 {
			return 0, errors.New("sysl takes xt, #op1, cn, cm, #op2")
		}
		if rt, err = parseXReg(ops[0]); err != nil {
			return 0, err
		}
		ops = ops[1:]
	} else {
		switch len(ops) {
		case 5:
			if rt, err = parseXReg(ops[4]); err != nil {
				return 0, err
			}
		case 4:
		default:
			return 0, errors.New("sys takes #op1, cn, cm, #op2{, xt}")
		}
	}
	op1, err := parseImm(ops[0], 7)
	if err != nil {
		return 0, err
	}
	crn, err := parseCReg(ops[1])
	if err != nil {
		return 0, err
	}
	crm, err := parseCReg(ops[2])
	if err != nil {
		return 0, err
	}
	op2, err := parseImm(ops[3], 7)
	if err != nil {
		return 0, err
	}
	return sysEncoding(l, uint32(op1), crn, crm, uint32(op2), uint32(rt)), nil
}

// sysOp is a SYS alias operation: op1, CRn, CRm, op2 and whether it takes
// a register operand.
type sysOp struct {
	op1, crn, crm, op2 uint8
	reg                bool
}

// sysAliases lists the IC, DC, AT and TLBI operations with their SYS
// fields (ARM DDI 0487 chapter C5, the cache maintenance, address
// translation and TLB maintenance instruction tables; instruction pages IC,
// DC, AT and TLBI in C6.2).
var sysAliases = map[string]map[string]sysOp{
	"ic": {
		"ialluis": {0, 7, 1, 0, false},
		"iallu":   {0, 7, 5, 0, false},
		"ivau":    {3, 7, 5, 1, true},
	},
	"dc": {
		"ivac":  {0, 7, 6, 1, true},
		"isw":   {0, 7, 6, 2, true},
		"csw":   {0, 7, 10, 2, true},
		"cisw":  {0, 7, 14, 2, true},
		"zva":   {3, 7, 4, 1, true},
		"cvac":  {3, 7, 10, 1, true},
		"cvau":  {3, 7, 11, 1, true},
		"cvap":  {3, 7, 12, 1, true},
		"civac": {3, 7, 14, 1, true},
	},
	"at": {
		"s1e1r":  {0, 7, 8, 0, true},
		"s1e1w":  {0, 7, 8, 1, true},
		"s1e0r":  {0, 7, 8, 2, true},
		"s1e0w":  {0, 7, 8, 3, true},
		"s1e1rp": {0, 7, 9, 0, true},
		"s1e1wp": {0, 7, 9, 1, true},
		"s1e2r":  {4, 7, 8, 0, true},
		"s1e2w":  {4, 7, 8, 1, true},
		"s12e1r": {4, 7, 8, 4, true},
		"s12e1w": {4, 7, 8, 5, true},
		"s12e0r": {4, 7, 8, 6, true},
		"s12e0w": {4, 7, 8, 7, true},
		"s1e3r":  {6, 7, 8, 0, true},
		"s1e3w":  {6, 7, 8, 1, true},
	},
	"tlbi": {
		"vmalle1os":    {0, 8, 1, 0, false},
		"vae1os":       {0, 8, 1, 1, true},
		"aside1os":     {0, 8, 1, 2, true},
		"vaae1os":      {0, 8, 1, 3, true},
		"vale1os":      {0, 8, 1, 5, true},
		"vaale1os":     {0, 8, 1, 7, true},
		"vmalle1is":    {0, 8, 3, 0, false},
		"vae1is":       {0, 8, 3, 1, true},
		"aside1is":     {0, 8, 3, 2, true},
		"vaae1is":      {0, 8, 3, 3, true},
		"vale1is":      {0, 8, 3, 5, true},
		"vaale1is":     {0, 8, 3, 7, true},
		"vmalle1":      {0, 8, 7, 0, false},
		"vae1":         {0, 8, 7, 1, true},
		"aside1":       {0, 8, 7, 2, true},
		"vaae1":        {0, 8, 7, 3, true},
		"vale1":        {0, 8, 7, 5, true},
		"vaale1":       {0, 8, 7, 7, true},
		"ipas2e1is":    {4, 8, 0, 1, true},
		"ipas2le1is":   {4, 8, 0, 5, true},
		"alle2is":      {4, 8, 3, 0, false},
		"vae2is":       {4, 8, 3, 1, true},
		"alle1is":      {4, 8, 3, 4, false},
		"vale2is":      {4, 8, 3, 5, true},
		"vmalls12e1is": {4, 8, 3, 6, false},
		"ipas2e1":      {4, 8, 4, 1, true},
		"ipas2le1":     {4, 8, 4, 5, true},
		"alle2":        {4, 8, 7, 0, false},
		"vae2":         {4, 8, 7, 1, true},
		"alle1":        {4, 8, 7, 4, false},
		"vale2":        {4, 8, 7, 5, true},
		"vmalls12e1":   {4, 8, 7, 6, false},
		"alle3is":      {6, 8, 3, 0, false},
		"vae3is":       {6, 8, 3, 1, true},
		"vale3is":      {6, 8, 3, 5, true},
		"alle3":        {6, 8, 7, 0, false},
		"vae3":         {6, 8, 7, 1, true},
		"vale3":        {6, 8, 7, 5, true},
	},
}

func asmSysAlias(mn string, ops []string) (uint32, error) {
	if len(ops) == 0 || len(ops) > 2 {
		return 0, fmt.Errorf("%s: wrong operand count", mn)
	}
	op, ok := sysAliases[mn][ops[0]]
	if !ok {
		return 0, fmt.Errorf("unknown %s operation %q", mn, ops[0])
	}
	rt := uint8(31)
	switch {
	case op.reg && len(ops) == 2:
		var err error
		if rt, err = parseXReg(ops[1]); err != nil {
			return 0, err
		}
	case op.reg:
		return 0, fmt.Errorf("%s %s needs a register", mn, ops[0])
	case len(ops) == 2:
		return 0, fmt.Errorf("%s %s takes no register", mn, ops[0])
	}
	return sysEncoding(false, uint32(op.op1), uint32(op.crn), uint32(op.crm), uint32(op.op2), uint32(rt)), nil
}

// splitInstr splits a normalized instruction into its mnemonic and
// comma-separated operands.
func splitInstr(s string) (string, []string) {
	mn, rest, _ := strings.Cut(s, " ")
	if rest == "" {
		return mn, nil
	}
	ops := strings.Split(rest, ",")
	for i := range ops {
		ops[i] = strings.TrimSpace(ops[i])
	}
	return mn, ops
}

func isImm(s string) bool {
	return strings.HasPrefix(s, "#") || strings.HasPrefix(s, "$")
}

// parseImm parses #n or $n (decimal or 0x-hex; a bare number is accepted
// too) no larger than max.
func parseImm(s string, max uint64) (uint64, error) {
	t := strings.TrimLeft(s, "#$")
	v, err := strconv.ParseUint(t, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("bad immediate %q", s)
	}
	if v > max {
		return 0, fmt.Errorf("immediate %s out of range (max %#x)", s, max)
	}
	return v, nil
}

// parseXReg parses a 64-bit general-purpose register: x0-x30, xzr, and the
// Go spellings r0-r30, rzr, zr; lr and fp are x30 and x29.
func parseXReg(s string) (uint8, error) {
	switch s {
	case "xzr", "rzr", "zr":
		return 31, nil
	case "lr":
		return 30, nil
	case "fp":
		return 29, nil
	}
	if len(s) >= 2 && (s[0] == 'x' || s[0] == 'r') {
		if n, err := strconv.ParseUint(s[1:], 10, 8); err == nil && n <= 30 && (len(s) == 2 || s[1] != '0') {
			return uint8(n), nil
		}
	}
	return 0, fmt.Errorf("expected an x register, got %q", s)
}

// parseCReg parses c0-c15.
func parseCReg(s string) (uint32, error) {
	if len(s) >= 2 && s[0] == 'c' {
		if n, err := strconv.ParseUint(s[1:], 10, 8); err == nil && n <= 15 {
			return uint32(n), nil
		}
	}
	return 0, fmt.Errorf("expected c0-c15, got %q", s)
}
