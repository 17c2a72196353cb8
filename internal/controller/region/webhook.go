package region

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// WebhookPath is where the manager's webhook server serves Guard.
const WebhookPath = "/validate-kumo-dev-v1alpha1-region-delete"

// WebhookName is the admission webhook that guards Region deletion.
const WebhookName = "region-delete.kumo.dev"

// Webhook is the registration of Guard: Region deletes only.
func Webhook(clientConfig admissionregistrationv1.WebhookClientConfig) admissionregistrationv1.ValidatingWebhook {
	return admissionregistrationv1.ValidatingWebhook{
		Name:         WebhookName,
		ClientConfig: clientConfig,
		Rules: []admissionregistrationv1.RuleWithOperations{{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Delete},
			Rule: admissionregistrationv1.Rule{
				APIGroups: []string{kumov1.GroupVersion.Group}, APIVersions: []string{kumov1.GroupVersion.Version},
				Resources: []string{"regions"}, Scope: ptr.To(admissionregistrationv1.ClusterScope),
			},
		}},
		FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
		SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
		AdmissionReviewVersions: []string{"v1"},
		TimeoutSeconds:          ptr.To[int32](10),
	}
}

// Guard refuses to delete a Region that still has clusters (running
// there, or migrating to it) or VMs of Kumo's: they would be orphaned in a
// cloud no one manages any more. A webhook, since the rule reads other
// objects; it reads the API server, not a cache, so that a refusal never
// rests on a stale list.
type Guard struct {
	Reader client.Reader
}

// Handle implements admission.Handler.
func (g *Guard) Handle(ctx context.Context, req admission.Request) admission.Response {
	region := req.Name
	var clusters kumov1.ClusterList
	if err := g.Reader.List(ctx, &clusters); err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("listing clusters: %w", err))
	}
	var names []string
	for _, c := range clusters.Items {
		if c.EffectiveRegion() == region || c.Status.MigratingTo == region {
			names = append(names, c.Namespace+"/"+c.Name)
		}
	}
	var machines kumov1.MachineList
	if err := g.Reader.List(ctx, &machines); err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("listing machines: %w", err))
	}
	vms := 0
	for _, m := range machines.Items {
		if m.Spec.Region == region {
			vms++
		}
	}
	if len(names) == 0 && vms == 0 {
		return admission.Allowed("")
	}
	const most = 5
	shown := names
	if len(shown) > most {
		shown = append(shown[:most:most], fmt.Sprintf("and %d more", len(names)-most))
	}
	msg := fmt.Sprintf("region %s still has %d clusters and %d VMs of Kumo's", region, len(names), vms)
	if len(shown) > 0 {
		msg += " (" + strings.Join(shown, ", ") + ")"
	}
	msg += "; migrate the clusters elsewhere (ClusterMigration) or delete them first"
	resp := admission.Denied(msg)
	resp.Result.Code, resp.Result.Reason = http.StatusConflict, metav1.StatusReasonConflict
	return resp
}
