package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/process"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

// TestEtcdOutOfSpace fills a real etcd with a small quota until it raises
// NOSPACE: the watch refuses new clusters with a message naming the fix,
// RepairEtcd frees the space and disarms the alarm, and every current value
// is still there.
func TestEtcdOutOfSpace(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	bin, err := toolchain.New(toolchain.DefaultDir(), io.Discard).Etcd(ctx)
	if err != nil {
		t.Fatalf("etcd binary: %v", err)
	}
	dir := t.TempDir()
	port, peer := freeTCPPort(t), freeTCPPort(t)
	url, peerURL := etcdEndpoint(port), fmt.Sprintf("http://127.0.0.1:%d", peer)
	const quota = 16 << 20
	etcd, err := process.Supervise(logr.Discard(), process.Spec{
		Name: "etcd", Path: bin, LogFile: filepath.Join(dir, "etcd.log"),
		Args: []string{
			"--name=t", "--data-dir=" + filepath.Join(dir, "etcd"), "--listen-client-urls=" + url, "--advertise-client-urls=" + url,
			"--listen-peer-urls=" + peerURL, "--initial-advertise-peer-urls=" + peerURL, "--initial-cluster=t=" + peerURL,
			fmt.Sprintf("--quota-backend-bytes=%d", quota), "--log-level=warn",
		},
	})
	g.Expect(err).NotTo(HaveOccurred())
	defer etcd.Stop()
	data, _ := json.Marshal(Config{EtcdPort: port, EtcdQuota: quota})
	g.Expect(os.WriteFile(configPath(dir), data, 0o600)).To(Succeed())

	cli, err := etcdClient(url)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = cli.Close() }()
	g.Eventually(func() error { _, err := cli.Put(ctx, "keep", "me"); return err }, 30*time.Second, 100*time.Millisecond).Should(Succeed())

	var said []string
	w := &spaceWatch{endpoint: url, command: "kumo", say: func(f string, a ...any) { said = append(said, fmt.Sprintf(f, a...)) }}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go w.run(wctx, 50*time.Millisecond)

	// Rewrite one key until the history fills the quota.
	big := strings.Repeat("x", 1<<20)
	var last string
	for i := 0; ; i++ {
		g.Expect(i).To(BeNumerically("<", 100), "etcd never ran out of space")
		v := fmt.Sprintf("%d%s", i, big)
		if _, err := cli.Put(ctx, "big", v); err != nil {
			g.Expect(err.Error()).To(ContainSubstring("database space exceeded"))
			break
		}
		last = v
	}
	g.Eventually(w.refusal, 5*time.Second, 20*time.Millisecond).Should(ContainSubstring("out of space (NOSPACE alarm)"))
	g.Expect(w.refusal()).To(HaveSuffix("`kumo etcd repair`"))
	alarms, problem := inspectEtcd(ctx, &Config{EtcdPort: port})
	g.Expect(alarms).To(Equal([]string{"NOSPACE"}))
	g.Expect(problem).To(ContainSubstring("kumo etcd repair"))

	var out strings.Builder
	g.Expect(RepairEtcd(ctx, dir, &out)).To(Succeed())
	g.Expect(out.String()).To(ContainSubstring("Disarmed the NOSPACE alarm"))
	g.Eventually(w.refusal, 5*time.Second, 20*time.Millisecond).Should(BeEmpty())
	_, err = cli.Put(ctx, "after", "repair")
	g.Expect(err).NotTo(HaveOccurred(), "writes work again")
	for k, want := range map[string]string{"keep": "me", "big": last} {
		resp, err := cli.Get(ctx, k)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(resp.Kvs).To(HaveLen(1))
		g.Expect(string(resp.Kvs[0].Value) == want).To(BeTrue(), "value of %s kept", k)
	}
	g.Expect(said).To(HaveLen(2))
	g.Expect(said[1]).To(Equal("etcd: the NOSPACE alarm is disarmed; new clusters are taken again"))
	// A second repair on a healthy etcd changes nothing and does not fail.
	g.Expect(RepairEtcd(ctx, dir, io.Discard)).To(Succeed())
}

func freeTCPPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}
