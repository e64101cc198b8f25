/** The Istio multicluster model of the meshes sitec builds: every cluster runs its own istiod. */
type MeshModelKind = 'multi-primary' | 'primary-remote';
const MESH_MODEL = 'multi-primary' as MeshModelKind;

/**
 * The east-west listeners other clusters use, per model (Istio's samples/multicluster/README.md):
 * across networks, service traffic on 15443 (expose-services.yaml) in every model; istiod's
 * 15012 and webhook 15017 (expose-istiod.yaml) only where a remote cluster has no istiod of its
 * own. The gateway still exposes all four, as gen-eastwest-gateway.sh writes it, but a
 * multi-primary firewall opens only what is used.
 */
const CROSS_CLUSTER_LISTENERS: Record<MeshModelKind, string[]> = {
  'multi-primary': ['status-port', 'tls'],
  'primary-remote': ['status-port', 'tls', 'tls-istiod', 'tls-webhook'],
};

/** Whether other clusters use an east-west listener (by its Service port name) in sitec's mesh model. */
export const usedAcrossClusters = (portName: string): boolean => CROSS_CLUSTER_LISTENERS[MESH_MODEL].includes(portName);
