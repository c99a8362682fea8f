import { router } from '../../trpc/init';
import { create } from './create';
import { remove } from './delete';
import { deliveries } from './deliveries';
import { list } from './list';

export const webhooksRouter = router({ list, create, delete: remove, deliveries });
