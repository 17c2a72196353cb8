package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// DefaultEtcdQuota is the management etcd's backend quota (--quota-backend-bytes).
const DefaultEtcdQuota = 8 << 30

// etcdEndpoint is the management etcd's client URL.
func etcdEndpoint(port int) string { return fmt.Sprintf("http://127.0.0.1:%d", port) }

func etcdClient(endpoint string) (*clientv3.Client, error) {
	// The client's own logging would land on the terminal of `kumo status`.
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return nil, fmt.Errorf("connecting to etcd at %s: %w", endpoint, err)
	}
	return cli, nil
}

// etcdAlarms lists the alarms etcd raised, e.g. "NOSPACE".
func etcdAlarms(ctx context.Context, cli *clientv3.Client) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := cli.AlarmList(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing etcd alarms: %w", err)
	}
	var out []string
	for _, a := range resp.Alarms {
		out = append(out, a.Alarm.String())
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// noSpaceMessage is what refused writes and `kumo status` say while etcd
// is out of space.
func noSpaceMessage(command string) string {
	return "the platform's datastore (etcd) is out of space (NOSPACE alarm) and refuses writes; " +
		"an operator frees it with `" + command + " etcd repair`"
}

// spaceWatch follows the management etcd's NOSPACE alarm: the admission
// webhook refuses new clusters while it is raised, with a message that
// says why, rather than let a create fail half-way.
type spaceWatch struct {
	endpoint string
	command  string
	// say tells the person who ran `kumo up` of a change.
	say func(format string, args ...any)
	// full is the message while the alarm is raised, else nil.
	full atomic.Pointer[string]
}

// refusal is the reason to refuse a new cluster now, or "".
func (w *spaceWatch) refusal() string {
	if m := w.full.Load(); m != nil {
		return *m
	}
	return ""
}

// run polls the alarms every period until ctx ends.
func (w *spaceWatch) run(ctx context.Context, period time.Duration) {
	cli, err := etcdClient(w.endpoint)
	if err != nil {
		w.say("Not watching etcd's space: %v", err)
		return
	}
	defer func() { _ = cli.Close() }()
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		alarms, err := etcdAlarms(ctx, cli)
		if err == nil {
			full := slices.Contains(alarms, etcdserverpb.AlarmType_NOSPACE.String())
			was := w.full.Load() != nil
			switch {
			case full && !was:
				msg := noSpaceMessage(w.command)
				w.full.Store(&msg)
				w.say("etcd: %s; new clusters are refused until then", msg)
			case !full && was:
				w.full.Store(nil)
				w.say("etcd: the NOSPACE alarm is disarmed; new clusters are taken again")
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// RepairEtcd frees the space of the platform at dataDir's etcd without
// losing data: it compacts the history to the current revision (older
// versions of keys go; every current value stays), defragments the
// backend to give the space back, then disarms the NOSPACE alarm.
func RepairEtcd(ctx context.Context, dataDir string, out io.Writer) error {
	cfg, err := ReadConfig(dataDir)
	if err != nil {
		return err
	}
	if cfg == nil {
		return fmt.Errorf("no platform at %s: it was never started", dataDir)
	}
	endpoint := etcdEndpoint(cfg.EtcdPort)
	cli, err := etcdClient(endpoint)
	if err != nil {
		return err
	}
	defer func() { _ = cli.Close() }()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	before, err := cli.Status(ctx, endpoint)
	if err != nil {
		return fmt.Errorf("reading etcd's status at %s (is the platform running?): %w", endpoint, err)
	}
	rev := before.Header.Revision
	_, _ = fmt.Fprintf(out, "Compacting etcd's history to revision %d\n", rev)
	if _, err := cli.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil && !errors.Is(err, rpctypes.ErrCompacted) {
		return fmt.Errorf("compacting etcd: %w", err)
	}
	_, _ = fmt.Fprintln(out, "Defragmenting etcd")
	if _, err := cli.Defragment(ctx, endpoint); err != nil {
		return fmt.Errorf("defragmenting etcd: %w", err)
	}
	after, err := cli.Status(ctx, endpoint)
	if err != nil {
		return fmt.Errorf("reading etcd's status: %w", err)
	}
	alarms, err := cli.AlarmList(ctx)
	if err != nil {
		return fmt.Errorf("listing etcd alarms: %w", err)
	}
	for _, a := range alarms.Alarms {
		if a.Alarm != etcdserverpb.AlarmType_NOSPACE {
			continue
		}
		if _, err := cli.AlarmDisarm(ctx, (*clientv3.AlarmMember)(a)); err != nil {
			return fmt.Errorf("disarming etcd's NOSPACE alarm: %w", err)
		}
		_, _ = fmt.Fprintln(out, "Disarmed the NOSPACE alarm")
	}
	_, _ = fmt.Fprintf(out, "etcd's database: %s before, %s after (quota %s)\n",
		mib(before.DbSize), mib(after.DbSize), mib(cfg.EtcdQuotaBytes()))
	return nil
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
