package platform

import (
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ManagerUser is the manager's identity on the management API: its own
// user, so that RBAC grants it what its controllers need (config/rbac) and
// a FlowSchema gives it its own seats. People use the admin kubeconfig.
const ManagerUser = "kumo-manager"

// Priority levels and flow schemas of the management API server (API
// priority and fairness). Without them tenants fall into global-default
// with every other client, and the manager, as system:masters, is exempt
// by accident. With them:
//
//   - The manager has a priority level of its own that lends none of its
//     seats, so no tenant load can take them: it is never starved.
//   - Tenants share one priority level that never borrows, so together they
//     cannot take more of the server than its seats (about 20 of the
//     server's 600), and within it each team is a flow: requests in a
//     team's namespace are told apart by namespace (ByNamespace), so
//     a team is one flow however many members it has and fair queuing
//     serves the teams in turn. A team's flow queues in few, short queues:
//     a team that floods the API gets 429s (which client-go retries) once
//     its queues are full, and the other teams' requests go past it.
//   - A tenant's cluster-scoped requests (the catalog: regions, versions;
//     discovery) name no namespace; they are told apart by user.
const (
	FlowManager              = "kumo-manager"
	FlowTenants              = "kumo-tenants"
	FlowTenantsClusterScoped = "kumo-tenants-cluster-scoped"
)

// flowControl returns the priority levels and flow schemas `kumo up`
// installs. The server shares its concurrency (600 seats by default) among
// priority levels by their shares; Kubernetes' own levels hold 245 shares.
func flowControl() []client.Object {
	all := []flowcontrolv1.ResourcePolicyRule{{
		Verbs: []string{flowcontrolv1.VerbAll}, APIGroups: []string{flowcontrolv1.APIGroupAll},
		Resources: []string{flowcontrolv1.ResourceAll}, Namespaces: []string{flowcontrolv1.NamespaceEvery}, ClusterScope: true,
	}}
	nonResource := []flowcontrolv1.NonResourcePolicyRule{{Verbs: []string{flowcontrolv1.VerbAll}, NonResourceURLs: []string{flowcontrolv1.NonResourceAll}}}
	tenants := []flowcontrolv1.Subject{{Kind: flowcontrolv1.SubjectKindGroup, Group: &flowcontrolv1.GroupSubject{Name: TenantsGroup}}}
	level := func(name string, shares, lendable int32, borrowing *int32, q flowcontrolv1.QueuingConfiguration) *flowcontrolv1.PriorityLevelConfiguration {
		return &flowcontrolv1.PriorityLevelConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
				Type: flowcontrolv1.PriorityLevelEnablementLimited,
				Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
					NominalConcurrencyShares: ptr.To(shares),
					LendablePercent:          ptr.To(lendable),
					BorrowingLimitPercent:    borrowing,
					LimitResponse: flowcontrolv1.LimitResponse{
						Type: flowcontrolv1.LimitResponseTypeQueue, Queuing: &q,
					},
				},
			},
		}
	}
	schema := func(name, level string, precedence int32, by flowcontrolv1.FlowDistinguisherMethodType, rules flowcontrolv1.PolicyRulesWithSubjects) *flowcontrolv1.FlowSchema {
		return &flowcontrolv1.FlowSchema{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: flowcontrolv1.FlowSchemaSpec{
				PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: level},
				MatchingPrecedence:         precedence,
				DistinguisherMethod:        &flowcontrolv1.FlowDistinguisherMethod{Type: by},
				Rules:                      []flowcontrolv1.PolicyRulesWithSubjects{rules},
			},
		}
	}
	return []client.Object{
		// 40 shares: about 80 seats, as many as workload-high; none lent.
		level(FlowManager, 40, 0, nil, flowcontrolv1.QueuingConfiguration{Queues: 16, HandSize: 4, QueueLengthLimit: 50}),
		// 10 shares: about 20 seats for all tenants together, lent when
		// idle, never more borrowed. A team's flow queues in 4 of 128
		// queues of 5: a team with more than about 40 requests in flight
		// gets 429s.
		level(FlowTenants, 10, 50, ptr.To(int32(0)), flowcontrolv1.QueuingConfiguration{Queues: 128, HandSize: 4, QueueLengthLimit: 5}),
		// Before Kubernetes' own schemas for controllers (800 and up) and
		// the catch-all global-default (9900).
		schema(FlowManager, FlowManager, 600, flowcontrolv1.FlowDistinguisherMethodByUserType, flowcontrolv1.PolicyRulesWithSubjects{
			Subjects:         []flowcontrolv1.Subject{{Kind: flowcontrolv1.SubjectKindUser, User: &flowcontrolv1.UserSubject{Name: ManagerUser}}},
			ResourceRules:    all,
			NonResourceRules: nonResource,
		}),
		schema(FlowTenants, FlowTenants, 1000, flowcontrolv1.FlowDistinguisherMethodByNamespaceType, flowcontrolv1.PolicyRulesWithSubjects{
			Subjects: tenants,
			ResourceRules: []flowcontrolv1.ResourcePolicyRule{{
				Verbs: []string{flowcontrolv1.VerbAll}, APIGroups: []string{flowcontrolv1.APIGroupAll},
				Resources: []string{flowcontrolv1.ResourceAll}, Namespaces: []string{flowcontrolv1.NamespaceEvery},
			}},
		}),
		schema(FlowTenantsClusterScoped, FlowTenants, 1010, flowcontrolv1.FlowDistinguisherMethodByUserType, flowcontrolv1.PolicyRulesWithSubjects{
			Subjects: tenants,
			ResourceRules: []flowcontrolv1.ResourcePolicyRule{{
				Verbs: []string{flowcontrolv1.VerbAll}, APIGroups: []string{flowcontrolv1.APIGroupAll},
				Resources: []string{flowcontrolv1.ResourceAll}, ClusterScope: true,
			}},
			NonResourceRules: nonResource,
		}),
	}
}
