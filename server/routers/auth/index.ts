import { router } from '../../trpc/init';
import { auditEvents } from './audit-events';
import { changePassword } from './change-password';
import { introspect } from './introspect';
import { login } from './login';
import { logout } from './logout';
import { logoutAll } from './logout-all';
import { me } from './me';
import { refresh } from './refresh';
import { reauthenticate } from './reauthenticate';
import { register } from './register';
import { revokeOtherSessions } from './revoke-other-sessions';
import { revokeSession } from './revoke-session';
import { sessions } from './sessions';

export const authRouter = router({
  register,
  login,
  me,
  refresh,
  logout,
  logoutAll,
  sessions,
  revokeSession,
  revokeOtherSessions,
  changePassword,
  reauthenticate,
  auditEvents,
  introspect,
});
