package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sort"
	"strings"

	"github.com/opencph/opencph/internal/adb"
	"github.com/opencph/opencph/internal/sim"
)

const simphoneUsage = `usage: cph simphone --data DIR [--listen ADDR] [--model NAME] [--imei IMEI] [--serial SERIAL]
                    [--resolution WxH] [--dpi N] [--disk-gib N] [--prop NAME=VALUE]...

Runs one simulated phone (docs/simulator.md) serving adb on ADDR (default 0.0.0.0:5555). Its files
and state live in DIR, so running it again over DIR brings back the same phone; flags left out
keep what DIR holds. The shell's reboot restarts the phone in place: connections drop and it
serves again on the same address.
`

// propFlags collects repeatable --prop NAME=VALUE flags.
type propFlags map[string]string

func (p propFlags) String() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k+"="+p[k])
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func (p propFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not NAME=VALUE", v)
	}
	p[k] = val
	return nil
}

// runSimphone serves one simulated phone until ctx ends.
func runSimphone(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cph simphone", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), simphoneUsage) }
	listen := fs.String("listen", "0.0.0.0:5555", "address to serve adb on")
	data := fs.String("data", "", "directory of the phone's files and state")
	props := propFlags{}
	var cfg sim.Config
	fs.StringVar(&cfg.Model, "model", "", "ro.product.model")
	fs.StringVar(&cfg.IMEI, "imei", "", "IMEI")
	fs.StringVar(&cfg.Serial, "serial", "", "ro.serialno")
	fs.StringVar(&cfg.Resolution, "resolution", "", "display size, WIDTHxHEIGHT")
	fs.IntVar(&cfg.DPI, "dpi", 0, "display density")
	fs.IntVar(&cfg.DiskGiB, "disk-gib", 0, "size of /data in GiB")
	fs.Var(props, "prop", "property NAME=VALUE, repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("simphone: --data is required and there are no arguments")
	}
	cfg.Properties = props
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	for {
		rebooted := make(chan struct{}, 1)
		cfg.OnReboot = func() {
			select {
			case rebooted <- struct{}{}:
			default:
			}
		}
		dev, err := sim.New(*data, cfg)
		if err != nil {
			return fmt.Errorf("simphone: %w", err)
		}
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			dev.Close()
			return fmt.Errorf("simphone: %w", err)
		}
		*listen = ln.Addr().String() // a reboot comes back on the same port, even one picked by :0
		log.Info("simulated phone serving adb", "addr", *listen, "data", *data)
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- adb.Serve(sctx, ln, dev, dev.ServeOptions()) }()
		select {
		case err = <-done:
		case <-rebooted:
			log.Info("simulated phone rebooting")
			cancel()
			err = <-done
		}
		cancel()
		dev.Close()
		if err != nil || ctx.Err() != nil {
			return err
		}
	}
}
