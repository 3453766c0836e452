package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// config is cph.yaml. Every scalar key can also be set by flag (--jobs-workers) and by
// environment variable (CPH_JOBS_WORKERS); a flag wins over the environment, which wins over the
// file.
type config struct {
	Listen      string `yaml:"listen" help:"address the API listens on"`
	DataDir     string `yaml:"data_dir" help:"directory for the database, credentials and phone data"`
	TLSCert     string `yaml:"tls_cert" help:"TLS certificate file; serve HTTPS when set with tls_key"`
	TLSKey      string `yaml:"tls_key" help:"TLS private key file"`
	Endpoint    string `yaml:"endpoint" help:"public base URL of the API (default from listen)"`
	SSHListen   string `yaml:"ssh_listen" help:"address of the SSH gateway to phones' adb endpoints; empty: off"`
	Region      string `yaml:"region" help:"region name; the first project is named after it"`
	LogLevel    string `yaml:"log_level" help:"debug, info, warn or error"`
	Catalog     string `yaml:"catalog" help:"YAML file of server models, phone models and images"`
	ServerQuota int    `yaml:"server_quota" help:"servers one project may hold"`
	Runtime     string `yaml:"runtime" help:"runtime driver: sim"`

	Sim struct {
		HostsPerModel int           `yaml:"hosts_per_model" help:"simulated hosts of each server model"`
		BootTime      time.Duration `yaml:"boot_time" help:"how long a simulated phone takes to boot"`
		Journal       bool          `yaml:"journal" help:"append every simulated phone operation to <data_dir>/sim/ops.jsonl (for tests)"`
		// LoopbackPrefix must differ between control planes running on one machine at once.
		LoopbackPrefix string `yaml:"loopback_prefix" help:"first two octets of simulated hosts' loopback addresses (default 127.0)"`
		// Faults is passed to the sim driver as it is (see internal/runtime/sim).
		Faults []map[string]any `yaml:"faults" flag:"-"`
	} `yaml:"sim"`

	Jobs struct {
		Workers   int           `yaml:"workers" help:"jobs this process runs at once"`
		PerServer int           `yaml:"per_server" help:"jobs run at once on one server"`
		Lease     time.Duration `yaml:"lease" help:"how long a claimed job is held before another worker may take it"`
		Retention time.Duration `yaml:"retention" help:"how long finished jobs are kept"`
	} `yaml:"jobs"`
}

func defaultConfig() config {
	var c config
	c.Listen = "127.0.0.1:8080"
	c.DataDir = "./cph-data"
	c.Region = "cn-local-1"
	c.LogLevel = "info"
	c.ServerQuota = 100
	c.Runtime = "sim"
	c.Sim.HostsPerModel = 10
	c.Jobs.Workers = 32
	c.Jobs.PerServer = 8
	c.Jobs.Lease = 30 * time.Second
	c.Jobs.Retention = 7 * 24 * time.Hour
	return c
}

// loadConfig reads the file named by --config (or CPH_CONFIG), then the environment, then flags.
func loadConfig(name string, args []string) (config, error) {
	c := defaultConfig()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	path := fs.String("config", os.Getenv("CPH_CONFIG"), "configuration file (cph.yaml)")
	fields := scalarFields(reflect.ValueOf(&c).Elem(), "")
	for _, f := range fields {
		fs.Var(f, strings.ReplaceAll(f.key, "_", "-"), f.help)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	flagValues := map[string]string{}
	for _, f := range fields {
		if name := strings.ReplaceAll(f.key, "_", "-"); set[name] {
			flagValues[f.key] = f.String()
		}
	}
	if *path != "" {
		b, err := os.ReadFile(*path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config %s: %w", *path, err)
		}
	}
	for _, f := range scalarFields(reflect.ValueOf(&c).Elem(), "") {
		env := "CPH_" + strings.ToUpper(f.key)
		if v, ok := os.LookupEnv(env); ok {
			if err := f.Set(v); err != nil {
				return c, fmt.Errorf("%s: %w", env, err)
			}
		}
		if v, ok := flagValues[f.key]; ok {
			_ = f.Set(v)
		}
	}
	return c, nil
}

// field is one scalar configuration key, usable as a flag.Value.
type field struct {
	key, help string
	v         reflect.Value
}

func scalarFields(v reflect.Value, prefix string) []*field {
	var out []*field
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		key := prefix + strings.Split(sf.Tag.Get("yaml"), ",")[0]
		if sf.Tag.Get("flag") == "-" {
			continue
		}
		if sf.Type.Kind() == reflect.Struct {
			out = append(out, scalarFields(v.Field(i), key+"_")...)
			continue
		}
		out = append(out, &field{key: key, help: sf.Tag.Get("help"), v: v.Field(i)})
	}
	return out
}

func (f *field) String() string {
	if !f.v.IsValid() {
		return ""
	}
	if d, ok := f.v.Interface().(time.Duration); ok {
		return d.String()
	}
	return fmt.Sprint(f.v.Interface())
}

// IsBoolFlag lets a boolean key be set by its bare flag (--sim-journal).
func (f *field) IsBoolFlag() bool { return f.v.Kind() == reflect.Bool }

func (f *field) Set(s string) error {
	switch f.v.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		f.v.SetInt(int64(d))
	case int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		f.v.SetInt(int64(n))
	case string:
		f.v.SetString(s)
	case bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		f.v.SetBool(b)
	default:
		return fmt.Errorf("unsupported type %s", f.v.Type())
	}
	return nil
}
