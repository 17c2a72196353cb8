package quota

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// TestRefusalComesFirst: while the platform cannot take clusters (its
// datastore is full), a create is refused with the reason, before any read
// or write of the quota (which would fail less clearly).
func TestRefusalComesFirst(t *testing.T) {
	g := NewWithT(t)
	v := &Validator{Refusal: func() string { return "etcd is out of space; run `kumo etcd repair`" }}
	resp := v.Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{Operation: admissionv1.Create}})
	g.Expect(resp.Allowed).To(BeFalse())
	g.Expect(resp.Result.Message).To(Equal("etcd is out of space; run `kumo etcd repair`"))
	g.Expect(resp.Result.Code).To(BeNumerically("==", 503), "unavailable: not a missing right")
	resp = v.Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{Operation: admissionv1.Delete}})
	g.Expect(resp.Allowed).To(BeTrue(), "deletes free space; they are never refused")
}
