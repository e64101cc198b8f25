import { API } from '../model/apis.js';

export interface Kustomization {
  apiVersion: string;
  kind: 'Kustomization';
  resources: string[];
}

export function kustomization(resources: string[]): Kustomization {
  return { apiVersion: API.kustomization, kind: 'Kustomization', resources: [...resources] };
}
