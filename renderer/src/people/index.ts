export { AccountMenu } from './AccountMenu';
export { mayOpen } from './grants';
export { LookbackNote, NotAllowed, ViewBoundary } from './NotAllowed';
export { PeopleView } from './PeopleView';
export { SessionProvider, useCan, useSession } from './session';
export { FirstAdminPage, SignInPage } from './SignIn';
