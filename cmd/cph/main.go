// Command cph is OpenCPH in one binary: the server (cph serve), the operator's admin tool
// (cph admin) and, later, client verbs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: cph <command> [flags]

commands:
  serve    run the control plane (SQLite and simulated phones by default)
  admin    manage projects, users, keys and policies of a running server
  simphone run one simulated phone serving adb (docs/simulator.md)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		return
	case err != nil:
		fmt.Fprintln(os.Stderr, "cph:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command")
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:])
	case "admin":
		return runAdmin(ctx, args[1:], os.Stdout, os.Stderr)
	case "simphone":
		return runSimphone(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
