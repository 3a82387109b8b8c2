export { simulatedPeople } from './people.js';
