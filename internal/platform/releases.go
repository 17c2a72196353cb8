package platform

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// RemovedReleasePolicy is the ValidatingAdmissionPolicy that refuses a
// Cluster on a Removed release.
const RemovedReleasePolicy = "kumo-removed-releases"

// removedReleasePolicy refuses creating a Cluster on a release the catalog
// lists as Removed, or moving one to it. The API server checks it against
// every KubernetesRelease (the binding's params), so it needs no webhook
// and holds while the manager is down. It fails open: for a while after
// the CRDs are installed the API server cannot resolve the paramKind yet
// (its admission REST mapper catches up later), and failing closed then
// refused every Cluster write, not just those on a Removed release;
// kumoctl refuses Removed releases on its own meanwhile. A minor ("1.34") is refused when a
// release of it is Removed: withdraw one bad patch by deleting its
// KubernetesRelease instead.
func removedReleasePolicy() *admissionregistrationv1.ValidatingAdmissionPolicy {
	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: RemovedReleasePolicy},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			ParamKind: &admissionregistrationv1.ParamKind{APIVersion: kumov1.GroupVersion.String(), Kind: "KubernetesRelease"},
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
					Rule: admissionregistrationv1.Rule{APIGroups: []string{kumov1.GroupVersion.Group},
						APIVersions: []string{kumov1.GroupVersion.Version}, Resources: []string{"clusters"}},
				},
			}}},
			MatchConditions: []admissionregistrationv1.MatchCondition{{
				Name:       "creates-or-changes-version",
				Expression: "request.operation == 'CREATE' || object.spec.version != oldObject.spec.version",
			}},
			FailurePolicy: ptr.To(admissionregistrationv1.Ignore),
			Validations: []admissionregistrationv1.Validation{{
				Expression: "!has(params.spec.state) || params.spec.state != 'Removed' || " +
					"(object.spec.version != params.spec.version && !params.spec.version.startsWith(object.spec.version + '.'))",
				MessageExpression: "'Kubernetes ' + params.spec.version + ' has been removed from the platform: no cluster may be created on it or moved to it; " +
					"pick a Supported version (kumoctl versions)'",
				Reason: ptr.To(metav1.StatusReasonInvalid),
			}},
		},
	}
}

func removedReleaseBinding() *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: RemovedReleasePolicy},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: RemovedReleasePolicy,
			// Every release is a param; an empty catalog refuses nothing.
			ParamRef: &admissionregistrationv1.ParamRef{Selector: &metav1.LabelSelector{},
				ParameterNotFoundAction: ptr.To(admissionregistrationv1.AllowAction)},
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}
}
