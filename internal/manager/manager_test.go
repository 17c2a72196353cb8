package manager

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kumo-dev/kumo/internal/testenv"
)

// recordingSink records the errors logged through it, and how many
// controllers started their workers.
type recordingSink struct {
	mu      *sync.Mutex
	errors  *[]string
	started *int
}

func (s recordingSink) Init(logr.RuntimeInfo)          {}
func (s recordingSink) Enabled(level int) bool         { return level == 0 }
func (s recordingSink) WithValues(...any) logr.LogSink { return s }
func (s recordingSink) WithName(string) logr.LogSink   { return s }
func (s recordingSink) Info(_ int, msg string, _ ...any) {
	if msg == "Starting workers" {
		s.mu.Lock()
		defer s.mu.Unlock()
		*s.started++
	}
}
func (s recordingSink) Error(err error, msg string, _ ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*s.errors = append(*s.errors, msg+": "+err.Error())
}

// TestRequestedStopReleasesTheLeaseQuietly: stopping the manager (Ctrl-C)
// gives the leader lease back, so the next `kumo up` leads at once, and
// logs no error: nothing went wrong.
func TestRequestedStopReleasesTheLeaseQuietly(t *testing.T) {
	g := NewWithT(t)
	env := testenv.Start(t)
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kumo-system"}})).To(Succeed())

	var mu sync.Mutex
	var errs []string
	var started int
	mgr, err := New(env.Config, Options{
		MetricsAddr: "0", HealthAddr: "0", SkipNameValidation: true,
		LeaderElection: true, LeaderElectionNamespace: "kumo-system",
		Log: logr.New(recordingSink{mu: &mu, errors: &errs, started: &started}),
	})
	g.Expect(err).NotTo(HaveOccurred())
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(runCtx) }()
	g.Eventually(mgr.Elected(), time.Minute).Should(BeClosed())
	// Stopped while controllers wait for their caches, they would report
	// that; a stop at any time is not what this test is about.
	g.Eventually(func() int { mu.Lock(); defer mu.Unlock(); return started }, time.Minute).Should(Equal(5), "region, cluster, machine, migration and quota controllers")

	stop()
	var startErr error
	g.Eventually(done, time.Minute).Should(Receive(&startErr))
	g.Expect(startErr).NotTo(HaveOccurred())

	lease := &coordinationv1.Lease{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: "kumo-system", Name: "kumo-manager"}, lease)).To(Succeed())
	g.Expect(lease.Spec.HolderIdentity).To(Or(BeNil(), HaveValue(BeEmpty())), "the lease is released")
	errors := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), errs...) }
	g.Consistently(errors, time.Second, 50*time.Millisecond).Should(BeEmpty())
}
