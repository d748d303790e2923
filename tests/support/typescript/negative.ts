// What the generated types must refuse, because the API answers 400 (or the field is not there). Each
// `@ts-expect-error` makes tsc fail when the line below it compiles: when the types loosen, the test fails.
// Only type-checked, never run.

import type { components } from "todo-api-types";

import { type Api, createTask, type SignedIn, type SignInSession, type Task, updateTask } from "./client";

export async function refusedWrites(api: Api, task: Task): Promise<void> {
  const path = { task_id: task.id };

  // Create: the title is required, and is a string.
  // @ts-expect-error no title
  await api.POST("/api/tasks", { body: {} });
  // @ts-expect-error only a description
  await api.POST("/api/tasks", { body: { description: "no title" } });
  // @ts-expect-error a null title
  await api.POST("/api/tasks", { body: { title: null } });
  await api.POST("/api/tasks", {
    // @ts-expect-error a priority outside low/medium/high
    body: { title: "x", priority: "urgent" },
  });
  await api.POST("/api/tasks", {
    // @ts-expect-error completed is a JSON boolean, not 0/1
    body: { title: "x", completed: 1 },
  });
  // A typo'd field (the API ignores it, so the types must catch it), through the typed wrappers: openapi-fetch's
  // options are a type parameter, whose constraint TypeScript checks without excess-property checks.
  // @ts-expect-error a typo'd field
  await createTask(api, { title: "x", due: "2026-12-01" });
  // @ts-expect-error a typo'd field
  await updateTask(api, task.id, { titel: "x" });
  // @ts-expect-error a null title, through the wrapper too
  await updateTask(api, task.id, { ...task, title: null });
  // @ts-expect-error no title
  await createTask(api, { description: "no title" });
  await api.POST("/api/tasks", {
    // @ts-expect-error a due date is a string, not a Unix timestamp
    body: { title: "x", due_date: 1767225600 },
  });
  await api.POST("/api/tasks", {
    // @ts-expect-error tags are strings
    body: { title: "x", tags: [1, 2] },
  });
  await api.POST("/api/tasks", {
    // @ts-expect-error a status outside pending/completed/complete/incomplete
    body: { title: "x", status: "in_progress" },
  });
  // @ts-expect-error is_completed is a JSON boolean
  await updateTask(api, task.id, { is_completed: "yes" });

  // PATCH and PUT: title, completed and priority may be left out but not set to null.
  await api.PATCH("/api/tasks/{task_id}", {
    params: { path },
    // @ts-expect-error a null title
    body: { title: null },
  });
  await api.PATCH("/api/tasks/{task_id}", {
    params: { path },
    // @ts-expect-error a null completed
    body: { completed: null },
  });
  await api.PATCH("/api/tasks/{task_id}", {
    params: { path },
    // @ts-expect-error a null priority
    body: { priority: null },
  });
  await api.PATCH("/api/tasks/{task_id}", {
    params: { path },
    // @ts-expect-error a priority outside low/medium/high
    body: { priority: "urgent" },
  });
  await api.PUT("/api/tasks/{task_id}", {
    params: { path },
    // @ts-expect-error a null title
    body: { ...task, title: null },
  });
  await api.PUT("/api/{user_id}/tasks/{task_id}", {
    params: { path: { ...path, user_id: task.user_id } },
    // @ts-expect-error a priority outside low/medium/high
    body: { title: "x", priority: "urgent" },
  });
  // @ts-expect-error PATCH needs a body (an empty object is fine, nothing is not)
  await api.PATCH("/api/tasks/{task_id}", { params: { path } });

  // Complete: the body, when there is one, is {completed: boolean} (or another spelling of it).
  await api.PATCH("/api/tasks/{task_id}/complete", {
    params: { path },
    // @ts-expect-error completed is a JSON boolean, not a string
    body: { completed: "true" },
  });
  // @ts-expect-error only completed
  const completion: components["schemas"]["TaskCompletion"] = { completed: true, title: "x" };
  void completion;

  // Path and query parameters.
  // @ts-expect-error the task id is a number
  await api.GET("/api/tasks/{task_id}", { params: { path: { task_id: "1" } } });
  // @ts-expect-error the task id is required
  await api.GET("/api/tasks/{task_id}", {});
  // @ts-expect-error the user-scoped path needs the user id
  await api.GET("/api/{user_id}/tasks", { params: { path: {} } });
  // @ts-expect-error a status outside all/pending/completed
  await api.GET("/api/tasks", { params: { query: { status: "done" } } });
  // @ts-expect-error a sort key that does not exist
  await api.GET("/api/tasks", { params: { query: { sort: "name" } } });
  // @ts-expect-error order is asc or desc
  await api.GET("/api/tasks", { params: { query: { order: "up" } } });
  // @ts-expect-error a query parameter is never null (it would be sent as the text "null")
  await api.GET("/api/tasks", { params: { query: { q: null } } });
  // @ts-expect-error limit is a number
  await api.GET("/api/tasks", { params: { query: { limit: "10" } } });
  await api.PATCH("/api/tasks/{task_id}", {
    // @ts-expect-error If-Match is a string, never null
    params: { path, header: { "If-Match": null } },
    body: {},
  });

  // Auth bodies.
  // @ts-expect-error signup needs a password
  await api.POST("/api/auth/signup", { body: { email: "a@example.com" } });
  // @ts-expect-error login needs an email
  await api.POST("/api/auth/login", { body: { password: "password123" } });
  await api.POST("/api/auth/login", {
    // @ts-expect-error refresh_token_in_body is a JSON boolean
    body: { email: "a@example.com", password: "password123", refresh_token_in_body: "yes" },
  });
  // @ts-expect-error the refresh token is a string
  await api.POST("/api/auth/refresh", { body: { refresh_token: 1 } });
  // @ts-expect-error a password change needs the new password
  await api.PUT("/api/auth/password", { body: { current_password: "password123" } });
  // @ts-expect-error a password change needs the current password
  await api.PUT("/api/auth/password", { body: { new_password: "password1234" } });
  const change = { current_password: "password123", new_password: "password1234" };
  // @ts-expect-error a password change is a PUT
  await api.POST("/api/auth/password", { body: change });
  // @ts-expect-error the new password is never null
  await api.PUT("/api/auth/password", { body: { current_password: "password123", new_password: null } });
  // @ts-expect-error ending a session needs its id
  await api.DELETE("/api/auth/sessions/{session_id}", {});
  // @ts-expect-error a session id is a string
  await api.DELETE("/api/auth/sessions/{session_id}", { params: { path: { session_id: 1 } } });
  // @ts-expect-error sessions are listed, not created
  await api.POST("/api/auth/sessions");
  // @ts-expect-error no such operation
  await api.DELETE("/api/auth/verify");
  // @ts-expect-error no such path
  await api.GET("/api/task");
}

export function refusedSessionReads(signed: SignedIn, session: SignInSession): void {
  // @ts-expect-error the refresh token is null unless the client asked for it in the body
  const refreshToken: string = signed.refresh_token;
  // @ts-expect-error the user agent may be null
  const userAgent: string = session.user_agent;
  // @ts-expect-error no such field (it is last_used_at)
  const lastSeen: unknown = session.last_seen;
  // @ts-expect-error current is a boolean
  const current: string = session.current;
  void [refreshToken, userAgent, lastSeen, current];
}

export async function refusedListReads(api: Api, userId: string): Promise<void> {
  const spec = await api.GET("/api/{user_id}/tasks", { params: { path: { user_id: userId } } });
  // @ts-expect-error the spec's path answers a bare array: no tasks field
  const wrapped: unknown = spec.data?.tasks;
  const page = await api.GET("/api/tasks");
  // @ts-expect-error /api/tasks answers the page object, not an array
  const first: unknown = page.data?.[0];
  const tags = await api.GET("/api/tasks/tags");
  // @ts-expect-error the tags are strings
  const count: number | undefined = tags.data?.[0];
  void [wrapped, first, count];
}

export function refusedReads(task: Task): void {
  // @ts-expect-error the description may be null
  const description: string = task.description;
  // @ts-expect-error the due date may be null
  const due: string = task.due_date;
  // @ts-expect-error no such field
  const missing: unknown = task.dueDate;
  // @ts-expect-error the version is a number
  const version: string = task.version;
  // @ts-expect-error the priority is one of three
  const priority: "urgent" = task.priority;
  // @ts-expect-error the status is pending or completed
  const status: "in_progress" = task.status;
  // @ts-expect-error the tags are a list
  const tags: string = task.tags;
  // @ts-expect-error the category may be null
  const category: string = task.category;
  void [description, due, missing, version, priority, status, tags, category];
}
