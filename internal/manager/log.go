package manager

import (
	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
)

// quietStop drops the one error controller-runtime (v0.24) logs on every
// requested stop of a leader-elected manager. With
// LeaderElectionReleaseOnCancel the stop releases the lease, client-go then
// calls OnStoppedLeading, and controller-runtime reports that as "leader
// election lost" while its stop sequence runs
// (kubernetes-sigs/controller-runtime#3535). Nothing was lost; a lease lost
// while running still ends Start with that error, which is not logged here.
func quietStop(log logr.Logger) logr.Logger {
	if log.GetSink() == nil {
		log = ctrl.Log
	}
	sink := log.GetSink()
	if cd, ok := sink.(logr.CallDepthLogSink); ok {
		sink = cd.WithCallDepth(1) // for stopSink's own frame
	}
	return logr.New(stopSink{sink})
}

type stopSink struct{ logr.LogSink }

// Init does nothing: the wrapped sink was set up by its own Logger, and a
// second Init would undo the call depth added for stopSink's frame.
func (s stopSink) Init(logr.RuntimeInfo) {}

// Info is written out, not promoted, so that Info and Error both add the
// one frame the call depth accounts for.
func (s stopSink) Info(level int, msg string, kv ...any) { s.LogSink.Info(level, msg, kv...) }

func (s stopSink) Error(err error, msg string, kv ...any) {
	if msg == "error received after stop sequence was engaged" && err != nil && err.Error() == "leader election lost" {
		return
	}
	s.LogSink.Error(err, msg, kv...)
}

func (s stopSink) WithValues(kv ...any) logr.LogSink { return stopSink{s.LogSink.WithValues(kv...)} }

func (s stopSink) WithName(name string) logr.LogSink { return stopSink{s.LogSink.WithName(name)} }

func (s stopSink) WithCallDepth(depth int) logr.LogSink {
	if cd, ok := s.LogSink.(logr.CallDepthLogSink); ok {
		return stopSink{cd.WithCallDepth(depth)}
	}
	return s
}
