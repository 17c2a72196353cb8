package quota

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// WebhookPath is where the manager's webhook server serves Validator.
const WebhookPath = "/validate-kumo-dev-v1alpha1-cluster-quota"

// Webhook is the registration of Validator, given how the API server
// reaches it. It sees creates of Clusters and those updates that change
// node pools (a CEL match condition keeps the controllers' own updates,
// finalizers and endpoints, away from it, so they go on should the webhook
// be down). failurePolicy Fail: while the manager does not answer, no
// Cluster is created or resized, rather than one that passes a limit;
// deletes never go through it.
func Webhook(clientConfig admissionregistrationv1.WebhookClientConfig) admissionregistrationv1.ValidatingWebhook {
	return admissionregistrationv1.ValidatingWebhook{
		Name:         kumov1.QuotaWebhookName,
		ClientConfig: clientConfig,
		Rules: []admissionregistrationv1.RuleWithOperations{{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule: admissionregistrationv1.Rule{
				APIGroups: []string{kumov1.GroupVersion.Group}, APIVersions: []string{kumov1.GroupVersion.Version},
				Resources: []string{"clusters"}, Scope: ptr.To(admissionregistrationv1.NamespacedScope),
			},
		}},
		MatchConditions: []admissionregistrationv1.MatchCondition{{
			Name: "creates-or-resizes",
			Expression: "request.operation == 'CREATE' || (!has(object.metadata.deletionTimestamp) && " +
				"(has(object.spec.nodePools) ? object.spec.nodePools : []) != (has(oldObject.spec.nodePools) ? oldObject.spec.nodePools : []))",
		}},
		FailurePolicy: ptr.To(admissionregistrationv1.Fail),
		// Dry runs are checked, never reserved.
		SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNoneOnDryRun),
		AdmissionReviewVersions: []string{"v1"},
		TimeoutSeconds:          ptr.To[int32](10),
	}
}

// Validator refuses a create or scale-up of a Cluster that would pass its
// team's quota. It is strict under concurrency the way Kubernetes'
// ResourceQuota admission is: before admitting, it adds the growth to the
// TeamQuota's status.used with an update that carries the resourceVersion
// it read, so of two racing requests one conflicts and checks again
// against what the other reserved. The write also records a reservation,
// which keeps the controller's count (from a cache that may not show the
// new cluster yet) from dropping below what was admitted.
//
// It reads from the API server, not the manager's cache: a refusal must
// not rest on a stale count, it may serve before the cache has started,
// and growth requests are few (people create and resize clusters).
type Validator struct {
	// Client writes the quota's status.
	Client client.Client
	// Reader reads around the cache (the manager's APIReader).
	Reader  client.Reader
	Decoder admission.Decoder
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Refusal, when set and not empty, refuses every create and growth
	// with its message: the platform cannot take more now (its datastore
	// is out of space), and saying so beats a create that fails half-way.
	Refusal func() string
}

// +kubebuilder:rbac:groups=kumo.dev,resources=teamquotas,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=kumo.dev,resources=teamquotas/status,verbs=get;update
// +kubebuilder:rbac:groups=kumo.dev,resources=clusters;regions,verbs=get;list

// conflictBackoff spaces the attempts of requests racing for one quota:
// each conflict means another request got its write in, so there are as
// many attempts as racing requests, at worst.
var conflictBackoff = wait.Backoff{Duration: 5 * time.Millisecond, Factor: 2, Jitter: 1, Steps: 12, Cap: time.Second}

// errRetry asks for another attempt with a fresh read.
var errRetry = errors.New("quota changed meanwhile")

// Handle admits or refuses one write of a Cluster.
func (v *Validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed("")
	}
	if v.Refusal != nil {
		if msg := v.Refusal(); msg != "" {
			// Unavailable, not Forbidden: nobody lacks a right, the
			// platform cannot take it now.
			return admission.Errored(http.StatusServiceUnavailable, errors.New(msg))
		}
	}
	cluster := &kumov1.Cluster{}
	if err := v.Decoder.DecodeRaw(req.Object, cluster); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	var old *kumov1.Cluster
	if req.Operation == admissionv1.Update {
		old = &kumov1.Cluster{}
		if err := v.Decoder.DecodeRaw(req.OldObject, old); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		// The match condition already spares these the call; a
		// registration without it must not count them either.
		if !cluster.DeletionTimestamp.IsZero() || apiequality.Semantic.DeepEqual(old.Spec.NodePools, cluster.Spec.NodePools) {
			return admission.Allowed("")
		}
	}
	a := &attempt{v: v, req: req, cluster: cluster, old: old}
	var resp admission.Response
	err := wait.ExponentialBackoffWithContext(ctx, conflictBackoff, func(ctx context.Context) (bool, error) {
		var err error
		resp, err = a.admit(ctx)
		if errors.Is(err, errRetry) {
			return false, nil
		}
		return true, err
	})
	switch {
	case wait.Interrupted(err):
		return admission.Errored(http.StatusConflict, fmt.Errorf("team %q's quota changed too often to be checked; try again", req.Namespace))
	case err != nil:
		return admission.Errored(http.StatusInternalServerError, err)
	}
	return resp
}

// attempt is one request's check against its team's quota.
type attempt struct {
	v            *Validator
	req          admission.Request
	cluster, old *kumov1.Cluster
	// read once per request: the defaults and the regions' flavors
	defaults *kumov1.TeamQuotaSpec
	flavors  flavorTable
}

// admit reads the quota and either refuses, or admits after reserving the
// growth; errRetry means the quota changed meanwhile.
func (a *attempt) admit(ctx context.Context) (admission.Response, error) {
	ns := a.req.Namespace
	if a.flavors == nil {
		var err error
		if a.defaults, err = readDefaults(ctx, a.v.Reader); err != nil {
			return admission.Response{}, err
		}
		var regions kumov1.RegionList
		if err := a.v.Reader.List(ctx, &regions); err != nil {
			return admission.Response{}, fmt.Errorf("listing regions: %w", err)
		}
		a.flavors = flavorsOf(regions.Items)
	}

	dryRun := a.req.DryRun != nil && *a.req.DryRun
	q := &kumov1.TeamQuota{}
	err := a.v.Reader.Get(ctx, client.ObjectKey{Namespace: ns, Name: kumov1.TeamQuotaName}, q)
	switch {
	case apierrors.IsNotFound(err) && (kumov1.TeamQuotaSpec{}).Limits(a.defaults).None():
		return admission.Allowed("no quota applies"), nil
	case apierrors.IsNotFound(err) && dryRun:
		// A dry run makes nothing: it is checked against a count alone.
		q = newTeamQuota(ns)
	case apierrors.IsNotFound(err):
		// The defaults limit the team, and there is no status yet to
		// reserve in: make the quota, then count.
		if err := a.v.Client.Create(ctx, newTeamQuota(ns)); err != nil && !apierrors.IsAlreadyExists(err) {
			return admission.Response{}, fmt.Errorf("creating the team quota of %s: %w", ns, err)
		}
		return admission.Response{}, errRetry
	case err != nil:
		return admission.Response{}, fmt.Errorf("reading the team quota of %s: %w", ns, err)
	}
	limits := q.Spec.Limits(a.defaults)
	if limits.None() {
		// Nothing to enforce: the controller counts without reservations.
		// A write admitted now and an operator's first limit can cross:
		// the controller's count, from a cache, may miss that write for
		// as long as the cache lags (milliseconds), and one write more
		// than the new limit can pass meanwhile.
		return admission.Allowed("no quota applies"), nil
	}
	if limits.VCPUs != nil {
		if pools := unknownGrowth(a.old, a.cluster, a.flavors); len(pools) > 0 {
			return unknownFlavor(ns, a.cluster, pools), nil
		}
	}

	used := q.Status.Used
	if used == nil {
		// Never counted: count now, from the API server. No reservation
		// exists yet, so there is nothing in flight to miss.
		var clusters kumov1.ClusterList
		if err := a.v.Reader.List(ctx, &clusters, client.InNamespace(ns)); err != nil {
			return admission.Response{}, fmt.Errorf("listing clusters: %w", err)
		}
		u, _, _ := count(clusters.Items, nil, a.flavors, a.v.now())
		used = &u
	}
	// What the quota holds for this cluster already: what it takes now,
	// or what an earlier attempt of this same write reserved (the API
	// server calls again when it retries a write internally).
	want := usage(a.cluster, a.flavors)
	held := usage(a.old, a.flavors)
	var mine *kumov1.QuotaReservation
	for i := range q.Status.Reservations {
		if r := &q.Status.Reservations[i]; r.UID == a.cluster.UID {
			mine = r
			held = most(held, r.Usage)
		}
	}
	delta := beyond(want, held)
	if delta == (kumov1.QuotaUsage{}) {
		return admission.Allowed(""), nil
	}
	if msg := exceeded(ns, q.Spec, limits, *used, delta); msg != "" {
		return deny(msg), nil
	}
	if dryRun {
		return admission.Allowed("within quota (dry run: nothing reserved)"), nil
	}

	total := add(*used, delta)
	q.Status.Used = &total
	r := kumov1.QuotaReservation{Cluster: a.cluster.Name, UID: a.cluster.UID, Generation: a.cluster.Generation,
		Usage: most(want, held), Time: metav1.NewTime(a.v.now())}
	if mine != nil {
		*mine = r
	} else {
		q.Status.Reservations = append(q.Status.Reservations, r)
	}
	describe(q, a.defaults)
	err = a.v.Client.Status().Update(ctx, q)
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return admission.Response{}, errRetry
	}
	if err != nil {
		return admission.Response{}, fmt.Errorf("reserving in the team quota of %s: %w", ns, err)
	}
	return admission.Allowed("within quota"), nil
}

func (v *Validator) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// deny refuses a write that would pass a limit: Forbidden, as the API
// server's own ResourceQuota answers, with a cause that tells clients it
// from an RBAC refusal.
func deny(msg string) admission.Response {
	resp := admission.Denied(msg)
	resp.Result.Details = &metav1.StatusDetails{
		Group: kumov1.GroupVersion.Group, Kind: "teamquotas", Name: kumov1.TeamQuotaName,
		Causes: []metav1.StatusCause{{Type: kumov1.QuotaExceededCause, Message: msg}},
	}
	return resp
}

// unknownFlavor refuses growth in a flavor whose vCPUs the region does not
// report, when a vCPU limit applies: the growth cannot be counted. It is
// Invalid, naming the fields, like the API server's own validation.
func unknownFlavor(team string, c *kumov1.Cluster, pools []int) admission.Response {
	var causes []metav1.StatusCause
	var flavors []string
	for _, i := range pools {
		flavor := c.Spec.NodePools[i].Flavor
		flavors = append(flavors, fmt.Sprintf("%q", flavor))
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueNotSupported, Field: fmt.Sprintf("spec.nodePools[%d].flavor", i),
			Message: fmt.Sprintf("region %s does not offer flavor %q, so its vCPUs cannot be counted against team %q's vCPU quota; pick a flavor the region offers (kumoctl regions -o wide)",
				c.EffectiveRegion(), flavor, team)})
	}
	resp := admission.Denied(fmt.Sprintf("region %s does not offer flavor %s, so team %q's vCPU quota cannot count it; pick a flavor the region offers (kumoctl regions -o wide)",
		c.EffectiveRegion(), strings.Join(flavors, ", "), team))
	resp.Result.Code, resp.Result.Reason = http.StatusUnprocessableEntity, metav1.StatusReasonInvalid
	resp.Result.Details = &metav1.StatusDetails{Group: kumov1.GroupVersion.Group, Kind: "Cluster", Name: c.Name, Causes: causes}
	return resp
}
