package platform

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// config is what must stay the same across restarts of one data directory:
// the ports that kubeconfigs and tenant API servers point at.
type config struct {
	APIServerPort int `json:"apiServerPort"`
	EtcdPort      int `json:"etcdPort"`
	EtcdPeerPort  int `json:"etcdPeerPort"`
}

// loadConfig reads dataDir/config.json, choosing ports on first use: the
// requested one if given, else the default if free, else any free port.
func loadConfig(dataDir string, o Options) (*config, error) {
	path := filepath.Join(dataDir, "config.json")
	cfg := &config{}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, cfg); err != nil {
			return nil, fmt.Errorf("reading %s: %w (delete it to choose new ports)", path, err)
		}
	case errors.Is(err, os.ErrNotExist):
	default:
		return nil, err
	}
	changed := false
	pick := func(cur *int, requested, def int) error {
		if requested != 0 && *cur != requested {
			*cur, changed = requested, true
		}
		if *cur != 0 {
			return nil
		}
		p, err := freePort(def)
		*cur, changed = p, true
		return err
	}
	if err := pick(&cfg.APIServerPort, o.APIServerPort, 6443); err != nil {
		return nil, err
	}
	if err := pick(&cfg.EtcdPort, o.EtcdPort, 23790); err != nil {
		return nil, err
	}
	if err := pick(&cfg.EtcdPeerPort, 0, 23800); err != nil {
		return nil, err
	}
	if changed {
		data, _ := json.MarshalIndent(cfg, "", "  ")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// freePort returns preferred if it can be bound, else a free port.
func freePort(preferred int) (int, error) {
	if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", preferred)); err == nil {
		_ = l.Close()
		return preferred, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
