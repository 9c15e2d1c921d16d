/** The event lists of the seed systems (../shared/seeds), as Hookflow event type names. */
const productive = [
  'booking',
  'budget',
  'company',
  'deal',
  'expense',
  'invoice',
  'payment',
  'person',
  'project',
  'task',
  'time_entry',
].flatMap((resource) => {
  const verbs: Record<string, string[]> = {
    company: ['archived', 'created', 'updated'],
    person: ['archived', 'created', 'updated'],
    deal: ['created', 'deleted', 'updated'],
    expense: ['created', 'deleted', 'updated'],
    invoice: ['created', 'deleted', 'updated'],
    payment: ['created', 'deleted', 'updated'],
    project: ['created', 'deleted', 'updated'],
    task: ['created', 'deleted', 'updated'],
    time_entry: ['created', 'deleted', 'updated'],
  };
  return (verbs[resource] ?? ['created', 'deleted', 'edited']).map((v) => `${resource}.${v}`);
});

export const SEED_EVENT_TYPES: Record<'productive' | 'gitproductivity' | 'generic', { name: string; description: string }[]> = {
  productive: productive.map((name) => ({ name, description: `${name.replace('_', ' ').replace('.', ' ')} (seed 000)` })),
  gitproductivity: [
    ['developer.added', 'A new developer was added to the organization'],
    ['developer.removed', 'A developer was removed from the organization'],
    ['repository.connected', 'A new repository was connected'],
    ['repository.disconnected', 'A repository was disconnected'],
    ['analysis.complete', 'Repository analysis has been completed'],
    ['metrics.updated', 'Developer metrics have been updated'],
  ].map(([name, description]) => ({ name, description })),
  generic: [
    ['task.created', 'New task created'],
    ['task.updated', 'Task modified'],
    ['task.completed', 'Task marked done'],
    ['task.deleted', 'Task removed'],
    ['task.assigned', 'Task assigned to user'],
    ['project.created', 'Project created'],
    ['project.updated', 'Project updated'],
    ['project.archived', 'Project archived'],
    ['project.deleted', 'Project deleted'],
    ['comment.created', 'Comment created'],
    ['comment.updated', 'Comment updated'],
    ['comment.deleted', 'Comment deleted'],
    ['user.added', 'User added'],
    ['user.removed', 'User removed'],
    ['user.role_changed', 'User role changed'],
  ].map(([name, description]) => ({ name, description })),
};
