"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useState, type FormEvent } from "react";
import {
  ApiToken,
  apiClient,
  createTask,
  problem,
  signOutAndRevoke,
  type Task,
  type TaskStatus,
} from "@/lib/api";
import type { TokenMode } from "@/lib/token-mode";

type Props = { apiUrl: string; tokenMode: TokenMode; user: { id: string; name: string; email: string } };
type Filter = { status: TaskStatus | "all"; tag: string | null };

function tagList(text: string): string[] {
  return text.split(",").map((tag) => tag.trim()).filter(Boolean);
}

export function TaskBoard({ apiUrl, tokenMode, user }: Props) {
  const router = useRouter();
  // One token for this page (fetched on its first call, renewed before it expires), revoked at sign-out.
  const [token] = useState(() => new ApiToken(tokenMode));
  const api = useMemo(() => apiClient(apiUrl, token), [apiUrl, token]);
  // The spec's path style: the user's own id (Better Auth's) in every task route.
  const userPath = { user_id: user.id };
  const [tasks, setTasks] = useState<Task[]>([]);
  const [total, setTotal] = useState<string | null>(null);
  const [filter, setFilter] = useState<Filter>({ status: "all", tag: null });
  const [editing, setEditing] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);

  const load = useCallback(async () => {
    const { data, error, response } = await api.GET("/api/{user_id}/tasks", {
      params: {
        path: userPath,
        query: {
          status: filter.status,
          tag: filter.tag ? [filter.tag] : undefined,
          sort: "created",
          order: "asc",
        },
      },
    });
    if (error || !data) {
      setError(problem(error, response));
      return;
    }
    setTasks(data);
    setTotal(response.headers.get("X-Total-Count")); // the paging is in headers on this path
    setError(null);
    setLoaded(true);
  }, [api, user.id, filter]);

  useEffect(() => {
    void load();
  }, [load]);

  /** Runs one change; on success reloads the list (under the current filters), else shows the API's detail. */
  async function change(call: Promise<{ error?: unknown; response: Response }>) {
    const { error, response } = await call;
    if (error !== undefined || !response.ok) {
      setError(problem(error, response));
      return false;
    }
    await load();
    return true;
  }

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const fields = new FormData(form);
    const created = await change(
      createTask(api, user.id, { title: String(fields.get("title")), tags: tagList(String(fields.get("tags"))) }),
    );
    if (created) form.reset();
  }

  async function save(task: Task, event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const fields = new FormData(event.currentTarget);
    const saved = await change(
      api.PATCH("/api/{user_id}/tasks/{task_id}", {
        params: { path: { ...userPath, task_id: task.id } },
        body: { title: String(fields.get("title")), tags: tagList(String(fields.get("tags"))) },
      }),
    );
    if (saved) setEditing(null);
  }

  function toggle(task: Task) {
    // No body: the API toggles.
    return change(
      api.PATCH("/api/{user_id}/tasks/{task_id}/complete", { params: { path: { ...userPath, task_id: task.id } } }),
    );
  }

  function remove(task: Task) {
    return change(
      api.DELETE("/api/{user_id}/tasks/{task_id}", { params: { path: { ...userPath, task_id: task.id } } }),
    );
  }

  async function signOut() {
    await signOutAndRevoke(api, token);
    router.push("/sign-in");
    router.refresh();
  }

  return (
    <>
      <div className="row">
        <h1 style={{ flex: 1 }}>Tasks</h1>
        <span className="muted">{user.name || user.email}</span>
        <button onClick={signOut}>Sign out</button>
      </div>

      <form onSubmit={create}>
        <input name="title" aria-label="New task" placeholder="What needs doing?" required />
        <input name="tags" aria-label="Tags" placeholder="tags, comma separated" />
        <button type="submit">Add</button>
      </form>

      <div className="row">
        <label>
          Status{" "}
          <select
            aria-label="Status"
            value={filter.status}
            onChange={(event) => setFilter({ ...filter, status: event.target.value as Filter["status"] })}
          >
            <option value="all">All</option>
            <option value="pending">Pending</option>
            <option value="completed">Completed</option>
          </select>
        </label>
        {filter.tag && (
          <button className="tag" aria-label="Clear tag filter" onClick={() => setFilter({ ...filter, tag: null })}>
            #{filter.tag} ×
          </button>
        )}
        {total !== null && <span className="muted">{total} in all</span>}
      </div>

      {error && <p className="error" role="alert">{error}</p>}

      <ul aria-label="Tasks" data-loaded={loaded}>
        {tasks.map((task) => (
          <li key={task.id} data-task-id={task.id} className={task.status}>
            <input
              type="checkbox"
              aria-label={`Completed: ${task.title}`}
              checked={task.status === "completed"}
              onChange={() => toggle(task)}
            />
            {editing === task.id ? (
              <form onSubmit={(event) => save(task, event)} style={{ flex: 1, margin: 0 }}>
                <input name="title" aria-label="Title" defaultValue={task.title} required />
                <input name="tags" aria-label="Tags" defaultValue={task.tags.join(", ")} />
                <button type="submit">Save</button>
              </form>
            ) : (
              <>
                <span className="title">{task.title}</span>
                {task.tags.map((tag) => (
                  <button key={tag} className="tag" onClick={() => setFilter({ ...filter, tag })}>
                    #{tag}
                  </button>
                ))}
                <button onClick={() => setEditing(task.id)}>Edit</button>
              </>
            )}
            <button onClick={() => remove(task)}>Delete</button>
          </li>
        ))}
      </ul>
      {loaded && tasks.length === 0 && <p className="muted">Nothing here.</p>}
    </>
  );
}
