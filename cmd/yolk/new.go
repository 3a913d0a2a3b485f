//go:build !tamago

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/yolkos/yolk/internal/target"
)

// The template module: a web server that runs on any board, a test that
// runs on the host and under QEMU, and a test of the board under QEMU.
// The program's own files build only for tamago; main_other.go and doc.go
// keep go vet, go test, go build and go doc working on the host.
var templates = map[string]string{
	"doc.go": `// Command {{.Name}} is a yolk program: it runs on bare metal (QEMU's virt
// machine, a Raspberry Pi 4) and serves a page on port 80.
//
//	go tool yolk run -net -fwd 8080:80 .   # then http://localhost:8080/
//	go tool yolk test ./...
//	go tool yolk build -board rpi4 -o sd .                # an SD card for the Pi
package main
`,
	"main.go": `//go:build tamago

package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/yolkos/yolk/board"
	"github.com/yolkos/yolk/board/network"
)

func main() {
	fmt.Printf("hello from {{.Name}} on %s\n", board.Name())
	if _, err := network.Start(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	http.HandleFunc("/", hello)
	fmt.Println("serving http on :80")
	if err := http.ListenAndServe(":80", nil); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}
`,
	"main_other.go": `//go:build !tamago

package main

import (
	"fmt"
	"os"
)

// On the host, say how to run the program.
func main() {
	fmt.Fprintln(os.Stderr, "{{.Name}} runs on yolk: go tool yolk run -net -fwd 8080:80 .")
	os.Exit(2)
}
`,
	"hello.go": `package main

import (
	"fmt"
	"net/http"
	"runtime"
)

// hello answers every request with a greeting.
func hello(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "hello from {{.Name}} (%s on %s/%s)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
`,
	"hello_test.go": `package main

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// Runs on the host (go test) and in QEMU (go tool yolk test).
func TestHello(t *testing.T) {
	rec := httptest.NewRecorder()
	hello(rec, httptest.NewRequest("GET", "/", nil))
	if !strings.HasPrefix(rec.Body.String(), "hello from {{.Name}}") {
		t.Errorf("got %q", rec.Body.String())
	}
}
`,
	"qemu_test.go": `//go:build tamago

package main

import (
	"runtime"
	"testing"

	"github.com/yolkos/yolk/board"
)

// Runs in QEMU only (go tool yolk test): the board is up.
func TestBoard(t *testing.T) {
	if board.Name() == "" || len(board.Machine().CPUs) < runtime.NumCPU() {
		t.Errorf("board %q with %d CPUs, runtime.NumCPU() = %d", board.Name(), len(board.Machine().CPUs), runtime.NumCPU())
	}
	t.Logf("on %s: %s", board.Name(), board.Machine().Model)
}
`,
}

func cmdNew(args []string) error {
	fs := newFlags("new", "[-module PATH] DIR")
	modPath := fs.String("module", "", "the module path of a new module (default: DIR's name)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("new takes the directory to create the module in (. for the current one)")
	}
	dir, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return err
	}
	for name := range templates {
		if fileExists(filepath.Join(dir, name)) {
			return fmt.Errorf("%s already exists: new fills a fresh directory or module, choose another", filepath.Join(dir, name))
		}
	}
	// Where the running yolk comes from: the new module requires the same.
	wd, _ := os.Getwd()
	var yolk struct {
		Path, Version, Dir string
		Main               bool
		Replace            *struct{ Path, Version, Dir string }
	}
	if out, err := hostGo(wd, "list", "-m", "-json", target.Module); err == nil {
		json.Unmarshal([]byte(out), &yolk)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	gomod := filepath.Join(dir, "go.mod")
	if !fileExists(gomod) {
		p := *modPath
		if p == "" {
			p = filepath.Base(dir)
		}
		if err := os.WriteFile(gomod, []byte("module "+p+"\n\ngo "+target.GoVersion+"\n"), 0o644); err != nil {
			return err
		}
	}
	edit := []string{"mod", "edit", "-go=" + target.GoVersion, "-toolchain=none",
		"-require=" + target.TamagoModule + "@" + target.TamagoVersion, "-tool=" + target.Module + "/cmd/yolk"}
	switch {
	case yolk.Main || (yolk.Replace != nil && yolk.Replace.Version == ""):
		// A local checkout: require it by a placeholder version, replaced.
		local := yolk.Dir
		if yolk.Replace != nil {
			local = yolk.Replace.Dir
		}
		edit = append(edit, "-require="+target.Module+"@v0.0.0", "-replace="+target.Module+"="+local)
	case yolk.Version != "":
		edit = append(edit, "-require="+target.Module+"@"+yolk.Version)
	default:
		return fmt.Errorf("cannot tell which yolk to require: run new from a module that requires %s", target.Module)
	}
	if _, err := hostGo(dir, edit...); err != nil {
		return err
	}
	var mf struct{ Module struct{ Path string } }
	out, err := hostGo(dir, "mod", "edit", "-json")
	if err != nil {
		return err
	}
	json.Unmarshal([]byte(out), &mf)
	data := struct{ Name string }{path.Base(mf.Module.Path)}
	for name, text := range templates {
		var b strings.Builder
		if err := template.Must(template.New(name).Parse(text)).Execute(&b, data); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	if _, err := hostGo(dir, "mod", "tidy"); err != nil {
		return err
	}
	fmt.Printf("created module %s in %s; in that directory:\n", mf.Module.Path, dir)
	fmt.Printf("  go tool yolk run -net -fwd 8080:80 .   # then open http://localhost:8080/\n")
	fmt.Printf("  go tool yolk test ./...\n")
	fmt.Printf("  go tool yolk build -board rpi4 -o sd .\n")
	return nil
}
