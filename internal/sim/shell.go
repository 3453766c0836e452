package sim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
)

// shName is how mksh names itself in its messages: adbd runs it as /system/bin/sh.
const shName = "/system/bin/sh"

// command is one shell command; it returns its exit status.
type command func(sh *shell, args []string, std *stdio) int

// stdio is a command's standard streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// commands are the shell's commands by name, builtins included. It is filled by init because
// sh -c refers back to it.
var commands map[string]command

func init() {
	commands = map[string]command{
		"cd": runCd, "exit": runExit, "true": func(*shell, []string, *stdio) int { return 0 },
		"false": func(*shell, []string, *stdio) int { return 1 }, "sh": runSh,
		"echo": runEcho, "ls": runLs, "cat": runCat, "mkdir": runMkdir, "rm": runRm, "cp": runCp, "mv": runMv,
		"touch": runTouch, "pwd": runPwd, "id": runID, "whoami": runWhoami, "uname": runUname, "df": runDf,
		"ps": runPs, "getprop": runGetprop, "setprop": runSetprop, "settings": runSettings, "pm": runPM,
		"am": runAM, "cmd": runCmd, "input": runInput, "wm": runWM, "screencap": runScreencap, "reboot": runReboot,
	}
}

// shell is one shell session: a working directory and the status of the last command.
type shell struct {
	ctx    context.Context
	d      *Device
	cwd    string
	status int
	exited bool
}

// Shell implements adb.Device: it runs cmd as `sh -c cmd` would, or, when cmd is empty, reads
// command lines from stdin as an interactive shell, with a prompt, until exit or the end of input.
// The returned error is only ever the context's.
func (d *Device) Shell(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	sh := &shell{ctx: ctx, d: d, cwd: "/"}
	std := &stdio{in: stdin, out: stdout, err: stderr}
	if std.in == nil {
		std.in = strings.NewReader("")
	}
	if cmd != "" {
		sh.run(cmd, std)
		return sh.status, ctx.Err()
	}
	in := bufio.NewReader(std.in)
	for !sh.exited && ctx.Err() == nil {
		fmt.Fprint(stdout, sh.prompt())
		line, err := in.ReadString('\n')
		if line != "" {
			sh.run(strings.TrimRight(line, "\r\n"), &stdio{in: in, out: stdout, err: stderr})
		}
		if err != nil {
			break
		}
	}
	return sh.status, ctx.Err()
}

// prompt is mksh's prompt as Android configures it: device:cwd followed by $ or # for root.
func (sh *shell) prompt() string {
	dev, _ := sh.d.Property("ro.product.device")
	mark := "$"
	if sh.d.isRoot() {
		mark = "#"
	}
	return fmt.Sprintf("%s:%s %s ", dev, sh.cwd, mark)
}

// run parses and runs one command line.
func (sh *shell) run(line string, std *stdio) {
	items, err := lex(line)
	var lists [][]step
	if err == nil {
		lists, err = parse(items)
	}
	if err != nil {
		fmt.Fprintf(std.err, "%s: %v\n", shName, err)
		sh.status = 1
		return
	}
	for _, chain := range lists {
		for i, st := range chain {
			if sh.exited || sh.ctx.Err() != nil {
				return
			}
			if i > 0 && (st.op == "&&") != (sh.status == 0) {
				continue
			}
			sh.status = sh.exec(st.cmd, std)
		}
	}
}

// exec runs one simple command with its redirections.
func (sh *shell) exec(c simpleCmd, parent *stdio) int {
	std := *parent
	for _, r := range c.redirs {
		closer, status := sh.redirect(r, &std)
		if status != 0 {
			return status
		}
		if closer != nil {
			defer closer.Close()
		}
	}
	if len(c.args) == 0 {
		return 0
	}
	name := c.args[0]
	run, ok := commands[name]
	if strings.Contains(name, "/") {
		run, ok = nil, false
		r := rel(sh.cwd, name)
		if fi, err := sh.d.root.Stat(r); err == nil && path.Dir(r) == "system/bin" && !fi.IsDir() {
			run, ok = commands[path.Base(r)]
		}
		if !ok {
			return sh.notExecutable(name, r, &std)
		}
	}
	if !ok {
		fmt.Fprintf(std.err, "%s: %s: not found\n", shName, name)
		return 127
	}
	return run(sh, c.args[1:], &std)
}

// notExecutable answers for a path the simulator cannot run: missing, or a file it has no way to
// execute (it runs no foreign code).
func (sh *shell) notExecutable(name, r string, std *stdio) int {
	fi, err := sh.d.root.Stat(r)
	switch {
	case err != nil:
		fmt.Fprintf(std.err, "%s: %s: not found\n", shName, name)
		return 127
	case fi.IsDir() || fi.Mode()&0o111 == 0:
		fmt.Fprintf(std.err, "%s: %s: can't execute: Permission denied\n", shName, name)
	default:
		fmt.Fprintf(std.err, "%s: %s: can't execute: Exec format error\n", shName, name)
	}
	return 126
}

// redirect applies one redirection to std and returns what to close afterwards.
func (sh *shell) redirect(r redir, std *stdio) (io.Closer, int) {
	if r.op == ">&" {
		w := std.out
		if r.dup == 2 {
			w = std.err
		}
		if r.fd == 2 {
			std.err = w
		} else {
			std.out = w
		}
		return nil, 0
	}
	if r.target == "/dev/null" {
		if r.op == "<" {
			std.in = strings.NewReader("")
		} else if r.fd == 2 {
			std.err = discard{}
		} else {
			std.out = discard{}
		}
		return nil, 0
	}
	name := rel(sh.cwd, r.target)
	var f *os.File
	var err error
	switch r.op {
	case "<":
		f, err = sh.d.root.Open(name)
	case ">", ">>":
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if r.op == ">>" {
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		if err = writable(name); err == nil {
			f, err = sh.d.root.OpenFile(name, flags, 0o666)
		}
	}
	if err != nil {
		verb := "create"
		if r.op == "<" {
			verb = "open"
		}
		fmt.Fprintf(std.err, "%s: can't %s %s: %s\n", shName, verb, r.target, strerror(devErr("open", r.target, err)))
		return nil, 1
	}
	switch {
	case r.op == "<":
		std.in = f
	case r.fd == 2:
		std.err = f
	default:
		std.out = f
	}
	return f, 0
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Builtins.

func runCd(sh *shell, args []string, std *stdio) int {
	dir := "/"
	if len(args) > 0 {
		dir = args[0]
	}
	r := rel(sh.cwd, dir)
	fi, err := sh.d.root.Stat(r)
	if err == nil && !fi.IsDir() {
		err = syscall.ENOTDIR
	}
	if err != nil {
		fmt.Fprintf(std.err, "%s: cd: %s: %s\n", shName, dir, strerror(devErr("chdir", dir, err)))
		return 2
	}
	sh.cwd = "/" + strings.TrimPrefix(r, ".")
	return 0
}

func runExit(sh *shell, args []string, std *stdio) int {
	sh.exited = true
	if len(args) == 0 {
		return sh.status
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		fmt.Fprintf(std.err, "%s: exit: %s: bad number\n", shName, args[0])
		return 1
	}
	return n & 0xff
}

// runSh is `sh -c CMD`, the way scripts and adb users nest a command line.
func runSh(sh *shell, args []string, std *stdio) int {
	if len(args) < 2 || args[0] != "-c" {
		fmt.Fprintf(std.err, "%s: only sh -c COMMAND is supported by the simulator\n", shName)
		return 2
	}
	sub := &shell{ctx: sh.ctx, d: sh.d, cwd: sh.cwd}
	sub.run(args[1], std)
	return sub.status
}

// Lexing and parsing: words with quotes and backslashes, the operators ; && || and newline, and
// the redirections < > >> 2> 2>> 2>&1 >&2. Everything that would need expansion or processes is
// refused rather than misread.

type itemKind int

const (
	itemWord itemKind = iota
	itemOp
	itemRedir
)

type item struct {
	kind itemKind
	s    string // the word, or the operator
	fd   int    // for redirections
	dup  int    // for >&N
}

type redir struct {
	fd     int
	op     string // "<", ">", ">>", ">&"
	target string
	dup    int
}

type simpleCmd struct {
	args   []string
	redirs []redir
}

// step is a command and the operator that joins it to the one before in its && / || chain.
type step struct {
	op  string
	cmd simpleCmd
}

func unsupported(what string) error {
	return fmt.Errorf("%s is not supported by the simulator", what)
}

func lex(src string) ([]item, error) {
	var items []item
	var cur strings.Builder
	inWord, quoted := false, false
	flush := func() {
		if inWord {
			items = append(items, item{kind: itemWord, s: cur.String()})
		}
		cur.Reset()
		inWord, quoted = false, false
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			flush()
			i++
		case c == '\n':
			flush()
			items = append(items, item{kind: itemOp, s: "\n"})
			i++
		case c == '#' && !inWord:
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '\'':
			j := strings.IndexByte(src[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("syntax error: unterminated quoted string")
			}
			cur.WriteString(src[i+1 : i+1+j])
			inWord, quoted = true, true
			i += j + 2
		case c == '"':
			inWord, quoted = true, true
			i++
			for ; i < len(src) && src[i] != '"'; i++ {
				switch ch := src[i]; {
				case ch == '\\' && i+1 < len(src) && strings.IndexByte("\"\\$`\n", src[i+1]) >= 0:
					if src[i+1] != '\n' {
						cur.WriteByte(src[i+1])
					}
					i++
				case ch == '$' && i+1 < len(src) && src[i+1] != '"' && src[i+1] != ' ':
					return nil, unsupported("parameter expansion ($)")
				case ch == '`':
					return nil, unsupported("command substitution (`)")
				default:
					cur.WriteByte(ch)
				}
			}
			if i >= len(src) {
				return nil, errors.New("syntax error: unterminated quoted string")
			}
			i++
		case c == '\\':
			if i+1 < len(src) {
				if src[i+1] != '\n' {
					cur.WriteByte(src[i+1])
					inWord = true
				}
				i += 2
				continue
			}
			cur.WriteByte(c)
			inWord = true
			i++
		case c == ';':
			flush()
			if i+1 < len(src) && src[i+1] == ';' {
				return nil, errors.New("syntax error: ';;' unexpected")
			}
			items = append(items, item{kind: itemOp, s: ";"})
			i++
		case c == '&' || c == '|':
			flush()
			if i+1 < len(src) && src[i+1] == c {
				items = append(items, item{kind: itemOp, s: string([]byte{c, c})})
				i += 2
				continue
			}
			if c == '|' {
				return nil, unsupported("a pipe (|)")
			}
			return nil, unsupported("a background job (&)")
		case c == '>' || c == '<':
			fd := 1
			if c == '<' {
				fd = 0
			}
			if s := cur.String(); inWord && !quoted && (s == "1" || s == "2") {
				fd = int(s[0] - '0')
				cur.Reset()
				inWord = false
			} else {
				flush()
			}
			op := string(c)
			i++
			if c == '>' && i < len(src) && src[i] == '>' {
				op = ">>"
				i++
			}
			if c == '>' && op == ">" && i < len(src) && src[i] == '&' {
				if i+1 >= len(src) || (src[i+1] != '1' && src[i+1] != '2') {
					return nil, errors.New("syntax error: bad file descriptor in >&")
				}
				items = append(items, item{kind: itemRedir, s: ">&", fd: fd, dup: int(src[i+1] - '0')})
				i += 2
				continue
			}
			items = append(items, item{kind: itemRedir, s: op, fd: fd})
		case c == '$' && i+1 < len(src) && src[i+1] != ' ' && src[i+1] != '\t' && src[i+1] != '\n':
			return nil, unsupported("parameter expansion ($)")
		case c == '`':
			return nil, unsupported("command substitution (`)")
		case c == '(' || c == ')':
			return nil, unsupported("a subshell ('" + string(c) + "')")
		default:
			cur.WriteByte(c)
			inWord = true
			i++
		}
	}
	flush()
	return items, nil
}

func parse(items []item) ([][]step, error) {
	var lists [][]step
	var chain []step
	var cmd simpleCmd
	op := ""
	var pending *item
	empty := func() bool { return len(cmd.args) == 0 && len(cmd.redirs) == 0 }
	for i := range items {
		it := items[i]
		switch it.kind {
		case itemWord:
			if pending != nil {
				cmd.redirs = append(cmd.redirs, redir{fd: pending.fd, op: pending.s, target: it.s})
				pending = nil
				continue
			}
			cmd.args = append(cmd.args, it.s)
			continue
		case itemRedir:
			if pending != nil {
				return nil, fmt.Errorf("syntax error: '%s' unexpected", it.s)
			}
			if it.s == ">&" {
				cmd.redirs = append(cmd.redirs, redir{fd: it.fd, op: it.s, dup: it.dup})
				continue
			}
			pending = &items[i]
			continue
		}
		if pending != nil {
			return nil, fmt.Errorf("syntax error: '%s' unexpected", printable(it.s))
		}
		switch it.s {
		case "&&", "||":
			if empty() {
				return nil, fmt.Errorf("syntax error: '%s' unexpected", it.s)
			}
			chain = append(chain, step{op: op, cmd: cmd})
			cmd, op = simpleCmd{}, it.s
		case "\n", ";":
			if empty() {
				if op != "" && it.s == "\n" {
					continue // a line ending in && or || goes on on the next
				}
				if it.s == ";" || op != "" {
					return nil, fmt.Errorf("syntax error: '%s' unexpected", printable(it.s))
				}
				continue
			}
			lists = append(lists, append(chain, step{op: op, cmd: cmd}))
			chain, cmd, op = nil, simpleCmd{}, ""
		}
	}
	if pending != nil {
		return nil, errors.New("syntax error: unexpected end of input")
	}
	if empty() {
		if op != "" {
			return nil, errors.New("syntax error: unexpected end of input")
		}
		return lists, nil
	}
	return append(lists, append(chain, step{op: op, cmd: cmd})), nil
}

func printable(op string) string {
	if op == "\n" {
		return "newline"
	}
	return op
}

// Flag parsing in toybox's manner: grouped single-letter flags, "--" ends them, "-" is an operand.

type flags map[byte]bool

// parseFlags splits args into the flags in allowed and the operands; it writes toybox's message
// and returns false on an unknown flag. Flags may follow operands, as toybox allows.
func parseFlags(name string, args []string, allowed string, std *stdio) (flags, []string, bool) {
	f := flags{}
	var rest []string
	for i, a := range args {
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			if strings.IndexByte(allowed, a[j]) < 0 {
				fmt.Fprintf(std.err, "%s: Unknown option '%c' (see \"%s --help\")\n", name, a[j], name)
				return nil, nil, false
			}
			f[a[j]] = true
		}
	}
	return f, rest, true
}

// fail prints "name: path: error" as toybox's perror_msg does and returns 1.
func fail(std *stdio, name, p string, err error) int {
	fmt.Fprintf(std.err, "%s: %s: %s\n", name, p, strerror(err))
	return 1
}

// isNotExist reports an error meaning the path names nothing.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
