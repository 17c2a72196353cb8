package cluster

import (
	"io"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// indent prefixes every line written through it with two spaces.
func indent(w io.Writer) io.Writer { return &indenter{w: w, start: true} }

type indenter struct {
	w     io.Writer
	start bool
}

func (i *indenter) Write(p []byte) (int, error) {
	for _, b := range p {
		if i.start {
			if _, err := i.w.Write([]byte("  ")); err != nil {
				return 0, err
			}
		}
		if _, err := i.w.Write([]byte{b}); err != nil {
			return 0, err
		}
		i.start = b == '\n'
	}
	return len(p), nil
}

func eventTime(e eventsv1.Event) time.Time {
	switch {
	case e.Series != nil:
		return e.Series.LastObservedTime.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.DeprecatedLastTimestamp.IsZero():
		return e.DeprecatedLastTimestamp.Time
	}
	return e.CreationTimestamp.Time
}

func metav1Time(t time.Time) metav1.Time { return metav1.NewTime(t) }
