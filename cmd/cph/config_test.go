package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cph.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`
listen: 127.0.0.1:9000
region: from-file
server_quota: 7
jobs:
  workers: 3
  lease: 45s
sim:
  hosts_per_model: 4
  faults:
    - op: create
      error: boom
`), 0o600))
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(t *testing.T, c config)
	}{
		{"defaults", nil, nil, func(t *testing.T, c config) {
			require.Equal(t, "127.0.0.1:8080", c.Listen)
			require.Equal(t, "./cph-data", c.DataDir)
			require.Equal(t, "cn-local-1", c.Region)
			require.Equal(t, 30*time.Second, c.Jobs.Lease)
		}},
		{"file", nil, []string{"--config", file}, func(t *testing.T, c config) {
			require.Equal(t, "127.0.0.1:9000", c.Listen)
			require.Equal(t, "from-file", c.Region)
			require.Equal(t, 7, c.ServerQuota)
			require.Equal(t, 3, c.Jobs.Workers)
			require.Equal(t, 45*time.Second, c.Jobs.Lease)
			require.Equal(t, 4, c.Sim.HostsPerModel)
			require.Len(t, c.Sim.Faults, 1)
		}},
		{"env over file", map[string]string{"CPH_REGION": "from-env", "CPH_JOBS_WORKERS": "9"}, []string{"--config", file}, func(t *testing.T, c config) {
			require.Equal(t, "from-env", c.Region)
			require.Equal(t, 9, c.Jobs.Workers)
			require.Equal(t, "127.0.0.1:9000", c.Listen)
		}},
		{"flag over env", map[string]string{"CPH_REGION": "from-env"}, []string{"--config", file, "--region", "from-flag", "--jobs-lease", "1m"}, func(t *testing.T, c config) {
			require.Equal(t, "from-flag", c.Region)
			require.Equal(t, time.Minute, c.Jobs.Lease)
		}},
		{"config file from env", map[string]string{"CPH_CONFIG": file}, nil, func(t *testing.T, c config) {
			require.Equal(t, "from-file", c.Region)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := loadConfig("serve", tt.args)
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.yaml")
	require.NoError(t, os.WriteFile(unknown, []byte("lissen: 1\n"), 0o600))
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"unknown key in file", nil, []string{"--config", unknown}},
		{"missing file", nil, []string{"--config", filepath.Join(dir, "nope.yaml")}},
		{"bad flag value", nil, []string{"--jobs-workers", "many"}},
		{"bad env value", map[string]string{"CPH_JOBS_LEASE": "soon"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := loadConfig("serve", tt.args)
			require.Error(t, err)
		})
	}
}
