package manager

import (
	"bytes"
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/klog/v2/textlogger"
)

// TestQuietStopKeepsTheCaller: lines through the filter name the code that
// logged, not the filter.
func TestQuietStopKeepsTheCaller(t *testing.T) {
	g := NewWithT(t)
	var b bytes.Buffer
	log := quietStop(textlogger.NewLogger(textlogger.NewConfig(textlogger.Output(&b))))
	log.Info("hello")
	log.WithName("x").WithValues("k", "v").Error(errors.New("e"), "bad")
	log.Error(errors.New("leader election lost"), "error received after stop sequence was engaged")
	g.Expect(b.String()).To(MatchRegexp(`log_test.go:\d+\] "hello"`))
	g.Expect(b.String()).To(MatchRegexp(`log_test.go:\d+\] "bad" err="e"`))
	g.Expect(b.String()).NotTo(ContainSubstring("leader election lost"))
}
