package sim

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The file commands follow toybox, Android's userland: its flags, its "cmd: path: error" messages
// and exit status 1 when any operand failed.

func runEcho(_ *shell, args []string, std *stdio) int {
	newline, escapes := true, false
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && strings.Trim(args[0][1:], "neE") == "" {
		for _, c := range args[0][1:] {
			switch c {
			case 'n':
				newline = false
			case 'e':
				escapes = true
			case 'E':
				escapes = false
			}
		}
		args = args[1:]
	}
	s := strings.Join(args, " ")
	if escapes {
		var stop bool
		s, stop = unescape(s)
		newline = newline && !stop
	}
	if newline {
		s += "\n"
	}
	std.out.Write([]byte(s))
	return 0
}

// unescape applies echo -e's escapes; \c ends the output there.
func unescape(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'e':
			b.WriteByte(0x1b)
		case '\\':
			b.WriteByte('\\')
		case 'c':
			return b.String(), true
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String(), false
}

func runPwd(sh *shell, _ []string, std *stdio) int {
	fmt.Fprintln(std.out, sh.cwd)
	return 0
}

func runCat(sh *shell, args []string, std *stdio) int {
	_, files, ok := parseFlags("cat", args, "uv", std)
	if !ok {
		return 1
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	status := 0
	for _, name := range files {
		if name == "-" {
			if _, err := io.Copy(std.out, std.in); err != nil {
				status = 1
			}
			continue
		}
		f, err := sh.d.root.Open(rel(sh.cwd, name))
		if err != nil {
			status = fail(std, "cat", name, devErr("open", name, err))
			continue
		}
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			f.Close()
			status = fail(std, "cat", name, syscall.EISDIR)
			continue
		}
		_, err = io.Copy(std.out, f)
		f.Close()
		if err != nil {
			status = fail(std, "cat", name, devErr("read", name, err))
		}
	}
	return status
}

func runMkdir(sh *shell, args []string, std *stdio) int {
	f, dirs, ok := parseFlags("mkdir", args, "pvm", std)
	if !ok {
		return 1
	}
	if len(dirs) == 0 {
		fmt.Fprint(std.err, "mkdir: Needs 1 argument (see \"mkdir --help\")\n")
		return 1
	}
	status := 0
	for _, dir := range dirs {
		r := rel(sh.cwd, dir)
		err := writable(r)
		if err == nil && f['p'] {
			err = sh.d.root.MkdirAll(r, 0o770)
		} else if err == nil {
			err = sh.d.root.Mkdir(r, 0o770)
		}
		if err != nil {
			fmt.Fprintf(std.err, "mkdir: '%s': %s\n", dir, strerror(devErr("mkdir", dir, err)))
			status = 1
		}
	}
	return status
}

func runRm(sh *shell, args []string, std *stdio) int {
	f, paths, ok := parseFlags("rm", args, "fiRrv", std)
	if !ok {
		return 1
	}
	if len(paths) == 0 {
		if f['f'] {
			return 0
		}
		fmt.Fprint(std.err, "rm: Needs 1 argument (see \"rm --help\")\n")
		return 1
	}
	status := 0
	for _, p := range paths {
		r := rel(sh.cwd, p)
		fi, err := sh.d.root.Lstat(r)
		switch {
		case err != nil:
			if !(f['f'] && isNotExist(devErr("lstat", p, err))) {
				status = fail(std, "rm", p, devErr("lstat", p, err))
			}
			continue
		case r == ".":
			status = fail(std, "rm", p, syscall.EBUSY)
			continue
		case writable(r) != nil:
			status = fail(std, "rm", p, syscall.EROFS)
			continue
		case fi.IsDir() && !f['r'] && !f['R']:
			status = fail(std, "rm", p, syscall.EISDIR)
			continue
		}
		if fi.IsDir() {
			err = sh.d.root.RemoveAll(r)
		} else {
			err = sh.d.root.Remove(r)
		}
		if err != nil {
			status = fail(std, "rm", p, devErr("remove", p, err))
		}
	}
	return status
}

func runTouch(sh *shell, args []string, std *stdio) int {
	f, files, ok := parseFlags("touch", args, "acmh", std)
	if !ok {
		return 1
	}
	if len(files) == 0 {
		fmt.Fprint(std.err, "touch: Needs 1 argument (see \"touch --help\")\n")
		return 1
	}
	status := 0
	now := time.Now()
	for _, name := range files {
		r := rel(sh.cwd, name)
		err := writable(r)
		if err == nil {
			if _, serr := sh.d.root.Stat(r); isNotExist(serr) {
				if f['c'] {
					continue
				}
				var fh *os.File
				if fh, err = sh.d.root.OpenFile(r, os.O_WRONLY|os.O_CREATE, 0o666); err == nil {
					fh.Close()
				}
			} else {
				err = sh.d.root.Chtimes(r, now, now)
			}
		}
		if err != nil {
			fmt.Fprintf(std.err, "touch: '%s': %s\n", name, strerror(devErr("touch", name, err)))
			status = 1
		}
	}
	return status
}

func runMv(sh *shell, args []string, std *stdio) int {
	_, ops, ok := parseFlags("mv", args, "finTv", std)
	if !ok {
		return 1
	}
	return transfer(sh, "mv", ops, std, func(src, dst string, _ fs.FileInfo) error {
		return sh.d.root.Rename(src, dst)
	})
}

func runCp(sh *shell, args []string, std *stdio) int {
	f, ops, ok := parseFlags("cp", args, "RrafpPdvnHLi", std)
	if !ok {
		return 1
	}
	recursive := f['r'] || f['R'] || f['a']
	return transfer(sh, "cp", ops, std, func(src, dst string, fi fs.FileInfo) error {
		if fi.IsDir() && !recursive {
			return errSkipDir
		}
		return sh.d.copyTree(src, dst)
	})
}

// errSkipDir reports a directory given to cp without -r.
var errSkipDir = errors.New("skipped dir")

// transfer resolves cp's and mv's operands: one source to a target path, or sources into an
// existing directory.
func transfer(sh *shell, name string, ops []string, std *stdio, do func(src, dst string, fi fs.FileInfo) error) int {
	if len(ops) < 2 {
		fmt.Fprintf(std.err, "%s: Needs 2 arguments (see \"%s --help\")\n", name, name)
		return 1
	}
	target := ops[len(ops)-1]
	tr := rel(sh.cwd, target)
	tfi, terr := sh.d.root.Stat(tr)
	intoDir := terr == nil && tfi.IsDir()
	if len(ops) > 2 && !intoDir {
		fmt.Fprintf(std.err, "%s: '%s' not directory\n", name, target)
		return 1
	}
	status := 0
	for _, src := range ops[:len(ops)-1] {
		sr := rel(sh.cwd, src)
		fi, err := sh.d.root.Stat(sr)
		if err != nil {
			status = fail(std, name, src, devErr("stat", src, err))
			continue
		}
		dst := tr
		if intoDir {
			dst = path.Join(tr, path.Base(sr))
		}
		if dst == sr || strings.HasPrefix(dst, sr+"/") || sr == "." {
			fmt.Fprintf(std.err, "%s: '%s' is inside itself\n", name, src)
			status = 1
			continue
		}
		if werr := writable(dst); werr != nil || (name == "mv" && writable(sr) != nil) {
			status = fail(std, name, target, syscall.EROFS)
			continue
		}
		if err := do(sr, dst, fi); errors.Is(err, errSkipDir) {
			fmt.Fprintf(std.err, "%s: Skipped dir '%s'\n", name, src)
			status = 1
		} else if err != nil {
			status = fail(std, name, target, devErr(name, target, err))
		}
	}
	return status
}

// copyTree copies a file, or a directory recursively; links inside a directory are copied as
// links.
func (d *Device) copyTree(src, dst string) error {
	fi, err := d.root.Stat(src)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return d.copyFile(src, dst, fi.Mode().Perm())
	}
	if err := d.root.Mkdir(dst, fi.Mode().Perm()); err != nil && !os.IsExist(err) {
		return err
	}
	f, err := d.root.Open(src)
	if err != nil {
		return err
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, e := range entries {
		s, t := path.Join(src, e.Name()), path.Join(dst, e.Name())
		if e.Type()&fs.ModeSymlink != 0 {
			target, err := d.root.Readlink(s)
			if err == nil {
				err = d.root.Symlink(target, t)
			}
			if err != nil {
				return err
			}
			continue
		}
		if err := d.copyTree(s, t); err != nil {
			return err
		}
	}
	return nil
}

func (d *Device) copyFile(src, dst string, perm fs.FileMode) error {
	in, err := d.root.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := d.root.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ls

type lsEntry struct {
	name string // as printed
	rel  string // inside the root
	fi   fs.FileInfo
}

func runLs(sh *shell, args []string, std *stdio) int {
	f, ops, ok := parseFlags("ls", args, "ald1ACFhinRrSst", std)
	if !ok {
		return 1
	}
	long := f['l'] || f['n']
	if len(ops) == 0 {
		ops = []string{"."}
	}
	sort.Strings(ops)
	status := 0
	var files []lsEntry
	var dirs []lsEntry
	for _, op := range ops {
		r := rel(sh.cwd, op)
		var fi fs.FileInfo
		var err error
		if long || f['d'] {
			fi, err = sh.d.root.Lstat(r)
			if err == nil && fi.Mode()&fs.ModeSymlink != 0 && strings.HasSuffix(op, "/") {
				fi, err = sh.d.root.Stat(r)
			}
		} else {
			fi, err = sh.d.root.Stat(r)
		}
		if err != nil {
			status = fail(std, "ls", op, devErr("stat", op, err))
			continue
		}
		e := lsEntry{name: op, rel: r, fi: fi}
		if fi.IsDir() && !f['d'] {
			dirs = append(dirs, e)
		} else {
			files = append(files, e)
		}
	}
	sh.d.printEntries(std, files, long, false)
	for i, dir := range dirs {
		if len(files) > 0 || i > 0 {
			fmt.Fprintln(std.out)
		}
		if len(ops) > 1 {
			fmt.Fprintf(std.out, "%s:\n", dir.name)
		}
		entries, err := sh.d.readDir(dir.rel, f['a'])
		if err != nil {
			status = fail(std, "ls", dir.name, devErr("open", dir.name, err))
			continue
		}
		sh.d.printEntries(std, entries, long, true)
	}
	return status
}

// readDir lists a directory sorted by name, with . and .. when all is set, as ls -a shows them.
func (d *Device) readDir(r string, all bool) ([]lsEntry, error) {
	f, err := d.root.Open(r)
	if err != nil {
		return nil, err
	}
	des, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return nil, err
	}
	var dots, out []lsEntry
	if all {
		for _, n := range []string{".", ".."} {
			if fi, err := d.root.Stat(path.Join(r, n)); err == nil {
				dots = append(dots, lsEntry{name: n, rel: path.Join(r, n), fi: fi})
			} else if fi, err := d.root.Stat(r); err == nil { // ".." of the root is the root
				dots = append(dots, lsEntry{name: n, rel: r, fi: fi})
			}
		}
	}
	for _, de := range des {
		if !all && strings.HasPrefix(de.Name(), ".") {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			continue
		}
		out = append(out, lsEntry{name: de.Name(), rel: path.Join(r, de.Name()), fi: fi})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return append(dots, out...), nil
}

// printEntries prints names one per line (ls writes one column when not on a terminal) or, long,
// toybox's ls -l lines with columns as wide as their widest value.
func (d *Device) printEntries(std *stdio, entries []lsEntry, long, total bool) {
	if !long {
		for _, e := range entries {
			fmt.Fprintln(std.out, e.name)
		}
		return
	}
	type row struct{ mode, links, user, group, size, when, name string }
	var rows []row
	var w [4]int
	var blocks int64
	for _, e := range entries {
		user, group := owner(e.rel)
		links := "1"
		if e.fi.IsDir() {
			links = "2"
		}
		name := e.name
		if e.fi.Mode()&fs.ModeSymlink != 0 {
			if t, err := d.root.Readlink(e.rel); err == nil {
				name += " -> " + t
			}
		}
		blocks += (e.fi.Size() + 4095) / 4096 * 4
		r := row{modeString(e.fi.Mode()), links, user, group, strconv.FormatInt(e.fi.Size(), 10),
			e.fi.ModTime().Local().Format("2006-01-02 15:04"), name}
		for i, s := range []string{r.links, r.user, r.group, r.size} {
			w[i] = max(w[i], len(s))
		}
		rows = append(rows, r)
	}
	if total {
		fmt.Fprintf(std.out, "total %d\n", blocks)
	}
	for _, r := range rows {
		fmt.Fprintf(std.out, "%s %*s %-*s %-*s %*s %s %s\n", r.mode, w[0], r.links, w[1], r.user, w[2], r.group, w[3], r.size, r.when, r.name)
	}
}

// owner is the owner and group a path shows; the simulator keeps no ownership, so they follow
// Android's layout.
func owner(r string) (string, string) {
	switch {
	case r == "data/local/tmp" || strings.HasPrefix(r, "data/local/tmp/"):
		return "shell", "shell"
	case r == "storage/emulated" || strings.HasPrefix(r, "storage/emulated/") || strings.HasPrefix(r, "sdcard/"):
		return "root", "everybody"
	case r == "data" || strings.HasPrefix(r, "data/"):
		return "system", "system"
	}
	return "root", "root"
}

// modeString renders a mode as ls does ("drwxr-x--x", "lrwxrwxrwx"); Go's own rendering differs.
func modeString(m fs.FileMode) string {
	t := byte('-')
	switch {
	case m.IsDir():
		t = 'd'
	case m&fs.ModeSymlink != 0:
		t = 'l'
	case m&fs.ModeNamedPipe != 0:
		t = 'p'
	case m&fs.ModeSocket != 0:
		t = 's'
	case m&fs.ModeCharDevice != 0:
		t = 'c'
	case m&fs.ModeDevice != 0:
		t = 'b'
	}
	b := []byte{t}
	const rwx = "rwxrwxrwx"
	for i := range 9 {
		if m&(1<<(8-i)) != 0 {
			b = append(b, rwx[i])
		} else {
			b = append(b, '-')
		}
	}
	return string(b)
}
