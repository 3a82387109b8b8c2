/**
 * The activities of the scripted people's clock (workflow/people.ts): they call back into the
 * simulation, in this process, which sends the person's input to the response.
 */
export function createPeopleActivities(deps: { act(id: number): Promise<void>; horizon(): void }) {
  return {
    async act(id: number): Promise<void> {
      await deps.act(id);
    },
    async horizonReached(): Promise<void> {
      deps.horizon();
    },
  };
}
export type PeopleActivities = ReturnType<typeof createPeopleActivities>;
