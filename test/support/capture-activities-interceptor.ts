import { proxySinks, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** Test only: reports each activity a workflow schedules, with its arguments, to a sink (replay too). */
export interface CaptureSinks extends Sinks {
  capture: { activity(activityType: string, args: unknown[]): void };
}
const { capture } = proxySinks<CaptureSinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity(input, next) {
        capture.activity(input.activityType, input.args);
        return next(input);
      },
    },
  ],
});
