/**
 * The Dezky catalog model: kinds Partner, Tenant and Integration
 * (apiVersion dezky.io/v1alpha1), their JSON schemas, validators, guards and
 * relation names.
 *
 * @packageDocumentation
 */
export * from './model';
export * from './relations';
export * from './refs';
export * from './validate';
export * from './crossCheck';
export * from './permissions';
