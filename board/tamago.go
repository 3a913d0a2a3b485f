//go:build tamago

package board

// The TamaGo module must stay in every program's module list: the
// toolchain takes runtime/goos from its goos directory (GOOSPKG), but no
// yolk package imports a package of it, so `go mod tidy` would drop it
// from a user's go.mod. This import of its smallest package (bit helpers,
// no init, nothing linked) keeps it there.
import _ "github.com/usbarmory/tamago/bits"
