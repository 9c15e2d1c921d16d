export { deliveryWorkflow } from './delivery';
export { retentionWorkflow } from './retention';
