package v1alpha1

// Condition types. Ready summarises the others.
const (
	ReadyCondition             = "Ready"
	ControlPlaneReadyCondition = "ControlPlaneReady"
	NodesReadyCondition        = "NodesReady"
	// VMReadyCondition is true once a Machine's VM exists in the cloud.
	VMReadyCondition = "VMReady"
	// NodeReadyCondition is true once a Machine's Node is Ready in the tenant cluster.
	NodeReadyCondition = "NodeReady"
	// VersionSupportedCondition is false while a Cluster runs a release the
	// catalog lists as Deprecated or Removed, or past its end of support;
	// true (reason EndOfSupportSoon) shortly before that end. It does not
	// count towards Ready: an old release keeps running.
	VersionSupportedCondition = "VersionSupported"
	// WithinQuotaCondition is true while a team uses no more than its
	// TeamQuota's limits.
	WithinQuotaCondition = "WithinQuota"
	// AcceptedCondition is false on a ClusterMigration refused before it
	// created anything; the reason says why.
	AcceptedCondition = "Accepted"
	// ProgressingCondition says what a ClusterMigration does or waits for.
	ProgressingCondition = "Progressing"
	// DrainBlockedCondition is true while a migration's drain has lasted
	// longer than the drain timeout; the message names the pods and the
	// PodDisruptionBudget that hold it.
	DrainBlockedCondition = "DrainBlocked"
)

// ClusterMigration reasons.
const (
	// Refusals (Accepted false).
	SameRegionReason      = "SameRegion"
	CapacityShortReason   = "CapacityShort"
	ClusterNotReadyReason = "ClusterNotReady"
	ClusterDeletingReason = "ClusterDeleting"
	ClusterNotFoundReason = "ClusterNotFound"
	MigrationActiveReason = "AnotherMigrationActive"
	AcceptedReason        = "Accepted"
	// Progress.
	CreatingNodesReason      = "CreatingNodes"
	DrainingNodesReason      = "DrainingNodes"
	WaitingForApprovalReason = "WaitingForApproval"
	PausedReason             = "Paused"
	SoakingReason            = "Soaking"
	CompletingReason         = "Completing"
	CompletedReason          = "Completed"
	RollingBackReason        = "RollingBack"
	RolledBackReason         = "RolledBack"
	PDBBlocksReason          = "PodDisruptionBudget"
	DrainingInTimeReason     = "DrainingInTime"
)

// Condition reasons.
const (
	ProvisioningReason           = "Provisioning"
	ReadyReason                  = "Ready"
	ScalingReason                = "Scaling"
	DeletingReason               = "Deleting"
	WaitingForControlPlaneReason = "WaitingForControlPlane"
	ControlPlaneStartingReason   = "Starting"
	// PlatformRestartedReason: the local platform restarted, and with it
	// every tenant control plane; none answers until started again.
	PlatformRestartedReason = "PlatformRestarted"
	// ControlPlaneUnhealthyReason: a component of a control plane that ran
	// failed (hung, crashed, crash-loops); the message names it and what
	// is done about it.
	ControlPlaneUnhealthyReason = "ControlPlaneUnhealthy"
	ControlPlaneFailedReason    = "Failed"
	RegionNotFoundReason        = "RegionNotFound"
	VersionNotSupportedReason   = "VersionNotSupported"
	CapacityExhaustedReason     = "CapacityExhausted"
	InvalidFlavorReason         = "InvalidFlavor"
	CloudErrorReason            = "CloudError"
	DrainingReason              = "Draining"
	NodesNotReadyReason         = "NodesNotReady"
	// CloudRateLimitedReason: the cloud refused Kumo's calls for coming too
	// fast; Kumo tries again when the cloud said it could.
	CloudRateLimitedReason = "CloudRateLimited"
	// WithinLimitsReason and OverQuotaReason explain WithinQuota.
	WithinLimitsReason = "WithinLimits"
	OverQuotaReason    = "OverQuota"
	// InsufficientHostMemoryReason: starting the control plane would take
	// the host's free memory below the reserve the operator keeps; it
	// starts once room appears.
	InsufficientHostMemoryReason = "InsufficientHostMemory"
)

// QuotaExceededCause is the cause type (metav1.StatusCause) of admission's
// refusal of a write that would pass a team's quota, so that clients tell
// it from an RBAC refusal, which is Forbidden too.
const QuotaExceededCause = "QuotaExceeded"

// QuotaWebhookName is the admission webhook that checks Cluster writes
// against team quotas, as the API server names it in its messages:
// `failed calling webhook "quota.kumo.dev"` when the manager does not
// answer, so that clients can say so.
const QuotaWebhookName = "quota.kumo.dev"

// Labels and annotations Kumo puts on the objects it creates.
const (
	// ClusterNameLabel names the Cluster a Machine (or Secret) belongs to.
	ClusterNameLabel = "kumo.dev/cluster"
	// PoolNameLabel names the node pool of a Machine and of its Node.
	PoolNameLabel = "kumo.dev/pool"
	// RegionLabel is put on tenant Nodes: the region their VM runs in.
	RegionLabel = "kumo.dev/region"
	// HypervisorLabel is put on tenant Nodes: the hypervisor their VM runs on.
	HypervisorLabel = "kumo.dev/hypervisor"
	// DeleteMachineAnnotation marks a Machine to be removed first on scale-in.
	DeleteMachineAnnotation = "kumo.dev/delete-machine"
	// MigrationLabel marks the Machines a ClusterMigration created in its
	// target region; its value is the migration's name (= the cluster's).
	MigrationLabel = "kumo.dev/migration"
	// MigrationDrainLabel marks the source Machines a ClusterMigration has
	// chosen to cordon and drain; they stay, empty, until the soak ends.
	MigrationDrainLabel = "kumo.dev/migration-drain"
	// EvacuationLabel marks a Machine being evacuated off a noisy
	// hypervisor; its value is the step ("replacing", "draining").
	EvacuationLabel = "kumo.dev/evacuation"
	// ReplacesLabel marks an evacuation's new Machine; its value names the
	// Machine it replaces. The cluster controller counts only one of the
	// two: the old one while it lives.
	ReplacesLabel = "kumo.dev/replaces"
	// StealSinceAnnotation is when a Machine's steal went above its
	// region's threshold (RFC 3339), cleared when it falls or its data
	// goes stale: the evacuation window survives restarts.
	StealSinceAnnotation = "kumo.dev/steal-since"
	// EvacuationAnnotation on an evacuated Machine records the decision
	// (JSON: EvacuationRecord); on a Cluster, the recent ones (a JSON list).
	EvacuationAnnotation = "kumo.dev/evacuation"
)
