import { router } from '../../trpc/init';
import { login } from './login';
import { logout } from './logout';
import { logoutAll } from './logout-all';
import { me } from './me';
import { refresh } from './refresh';
import { register } from './register';
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
});
